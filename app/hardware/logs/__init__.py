"""Log-file readers and writers (Qt-free)."""
