"""The home page: connect to a source, open a log file, see recent recordings."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.views.source_urls import EXAMPLE_URLS, SIMULATED_BATTERY_URL
from app.views.storage_bridge import RecordingSummary


def _card(title: str, parent: QWidget) -> tuple[QFrame, QVBoxLayout]:
    card = QFrame(parent, objectName="card")
    layout = QVBoxLayout(card)
    layout.setContentsMargins(16, 14, 16, 16)
    layout.setSpacing(10)
    layout.addWidget(QLabel(title, objectName="sectionTitle"))
    return card, layout


class HomePage(QWidget):
    """Where a session starts. Emits what the user asked for; shows errors it is given."""

    connect_requested = Signal(str)  #: a source URL
    open_file_requested = Signal()
    connection_dialog_requested = Signal()
    recordings_refresh_requested = Signal()
    first_painted = Signal()  #: once, when the page is first on screen

    def __init__(self, recent_sources: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("page")
        self._painted = False
        title = QLabel("Connect to a battery", objectName="pageTitle")
        subtitle = QLabel(
            "A source URL names a device, a log file or the simulator, e.g. "
            "sim://nmc?cells=4 or serial:///dev/ttyUSB0?protocol=vedirect.",
            objectName="mutedText",
            wordWrap=True,
        )

        source_card, source_layout = _card("Source", self)
        self.url_combo = QComboBox(editable=True)
        self.url_combo.setMinimumWidth(420)
        self.url_combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.url_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.url_combo.lineEdit().setPlaceholderText("sim://nmc?cells=4")
        self.set_recent_sources(recent_sources)
        self.connect_button = QPushButton("Connect", default=True)
        self.connect_button.setProperty("accent", True)
        url_row = QHBoxLayout()
        url_row.addWidget(self.url_combo, 1)
        url_row.addWidget(self.connect_button)
        self.simulated_button = QPushButton("Simulated battery")
        self.simulated_button.setToolTip(SIMULATED_BATTERY_URL)
        self.open_file_button = QPushButton("Open log file…")
        self.connect_dialog_button = QPushButton("Connect to hardware…")
        self.connect_dialog_button.setToolTip(
            "Choose a serial or CAN adapter, a protocol and its settings; test the connection"
        )
        quick_row = QHBoxLayout()
        quick_row.addWidget(self.connect_dialog_button)
        quick_row.addWidget(self.simulated_button)
        quick_row.addWidget(self.open_file_button)
        quick_row.addStretch(1)
        self.error_label = QLabel("", objectName="errorText", wordWrap=True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        source_layout.addLayout(url_row)
        source_layout.addLayout(quick_row)
        source_layout.addWidget(self.error_label)

        recordings_card, recordings_layout = _card("Recent recordings", self)
        self.recordings_list = QListWidget(objectName="recordings")
        self.recordings_list.setMinimumHeight(160)
        self.recordings_status = QLabel("Not loaded yet.", objectName="mutedText", wordWrap=True)
        self.refresh_button = QPushButton("Refresh")
        status_row = QHBoxLayout()
        status_row.addWidget(self.recordings_status, 1)
        status_row.addWidget(self.refresh_button)
        recordings_layout.addLayout(status_row)
        recordings_layout.addWidget(self.recordings_list, 1)

        column = QVBoxLayout()
        column.setSpacing(14)
        column.addWidget(title)
        column.addWidget(subtitle)
        column.addWidget(source_card)
        column.addWidget(recordings_card, 1)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(32, 24, 32, 24)
        outer.addLayout(column, 3)
        outer.addStretch(1)

        self.connect_button.clicked.connect(self._on_connect_clicked)
        self.url_combo.lineEdit().returnPressed.connect(self._on_connect_clicked)
        self.simulated_button.clicked.connect(self._on_simulated_clicked)
        self.open_file_button.clicked.connect(self.open_file_requested)
        self.connect_dialog_button.clicked.connect(self.connection_dialog_requested)
        self.refresh_button.clicked.connect(self.recordings_refresh_requested)

    # --- shown state ------------------------------------------------------------
    def set_recent_sources(self, urls: list[str]) -> None:
        current = self.url_combo.currentText()
        self.url_combo.clear()
        for url in list(urls) + [u for u in EXAMPLE_URLS if u not in urls]:
            self.url_combo.addItem(url)
        self.url_combo.setCurrentText(current or (urls[0] if urls else SIMULATED_BATTERY_URL))

    def set_url(self, url: str) -> None:
        self.url_combo.setCurrentText(url)

    def show_error(self, message: str | None) -> None:
        """Show why the last connect failed (None hides it)."""
        self.error_label.setText(message or "")
        self.error_label.setVisible(bool(message))

    def show_recordings_loading(self) -> None:
        self.recordings_status.setObjectName("mutedText")
        self.recordings_status.setText("Loading recent recordings…")
        self._repolish(self.recordings_status)

    def show_recordings(self, recordings: list[RecordingSummary]) -> None:
        self.recordings_list.clear()
        for rec in recordings:
            item = QListWidgetItem(f"{rec.title}\n{rec.detail}")
            item.setData(Qt.ItemDataRole.UserRole, rec.id)
            self.recordings_list.addItem(item)
        self.recordings_status.setObjectName("mutedText")
        self.recordings_status.setText(
            f"{len(recordings)} recent recording(s)." if recordings else "No recordings yet."
        )
        self._repolish(self.recordings_status)

    def show_recordings_error(self, message: str) -> None:
        self.recordings_list.clear()
        self.recordings_status.setObjectName("errorText")
        self.recordings_status.setText(message)
        self._repolish(self.recordings_status)

    @staticmethod
    def _repolish(widget: QWidget) -> None:
        widget.style().unpolish(widget)
        widget.style().polish(widget)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            self.first_painted.emit()

    # --- handlers -----------------------------------------------------------------
    def _on_connect_clicked(self) -> None:
        url = self.url_combo.currentText().strip()
        if url:
            self.connect_requested.emit(url)
        else:
            self.show_error("Enter a source URL, e.g. sim://nmc?cells=4")

    def _on_simulated_clicked(self) -> None:
        self.url_combo.setCurrentText(SIMULATED_BATTERY_URL)
        self.connect_requested.emit(SIMULATED_BATTERY_URL)
