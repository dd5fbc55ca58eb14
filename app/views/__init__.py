"""The GUI: the only package that imports PySide6 or pyqtgraph.

Nothing imports this package except the CLI, and only through
:func:`app.views.launch.run_gui`. Keep this module empty of imports so
``import app.views.launch`` stays cheap until the window is built.
"""
