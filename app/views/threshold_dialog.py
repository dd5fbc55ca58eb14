"""Add or edit one alert threshold; the rule is checked before the dialog accepts."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from app.core.errors import SchemaError
from app.core.results import Severity
from app.diagnostics.alerts import Comparison, Threshold
from app.diagnostics.alerts.metrics import metric_info, metric_names


def _number(text: str, name: str) -> float | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise SchemaError(f"{name}: {text!r} is not a number") from None


def _text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


class ThresholdDialog(QDialog):
    """Edits a :class:`Threshold`; :attr:`threshold` is the result once accepted."""

    def __init__(self, threshold: Threshold | None, profile: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Edit threshold" if threshold else "Add threshold")
        self.profile = profile
        self.original = threshold
        self.threshold: Threshold | None = None
        # not "metric": that name would override QPaintDevice.metric()
        self.metric_box = QComboBox()
        for name in metric_names():
            info = metric_info(name)
            unit = f" ({info.unit})" if info.unit else ""
            self.metric_box.addItem(f"{info.label}{unit}", name)
        self.comparison = QComboBox()
        for c in Comparison:
            self.comparison.addItem(c.value, c.value)
        self.level = QLineEdit()
        self.clear_level = QLineEdit(placeholderText="same as the level")
        self.band_low = QLineEdit()
        self.band_high = QLineEdit()
        self.severity = QComboBox()
        for s in Severity:
            self.severity.addItem(s.value, s.value)
        self.delay = QDoubleSpinBox(suffix=" s", decimals=1, maximum=86_400.0)
        # as the safety check judges a limit (the default limit rules use them)
        self.charge_level = QLineEdit(placeholderText="same as the level")
        self.charge_level.setToolTip(
            "The level while the pack is charging (a chemistry's charge temperature"
            " window); the clear and fast levels move with it."
        )
        self.fast_level = QLineEdit(placeholderText="none")
        self.fast_level.setToolTip(
            "Beyond this the alert is raised at once, without the delay "
            "(a voltage: on two readings in a row)."
        )
        self.noise_band = QLineEdit(placeholderText="0")
        self.noise_band.setToolTip(
            "Noise dipping back within this of the level does not restart the delay."
        )
        self.clear_delay = QDoubleSpinBox(suffix=" s", decimals=1, maximum=86_400.0)
        self.enabled = QCheckBox("enabled", checked=True)
        self.error = QLabel(objectName="errorText", wordWrap=True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        form = QFormLayout(self)
        form.addRow("Metric", self.metric_box)
        form.addRow("Comparison", self.comparison)
        form.addRow("Level", self.level)
        form.addRow("Band low", self.band_low)
        form.addRow("Band high", self.band_high)
        form.addRow("Clear level / margin", self.clear_level)
        form.addRow("Severity", self.severity)
        form.addRow("Must hold for", self.delay)
        form.addRow("Level while charging", self.charge_level)
        form.addRow("At once beyond", self.fast_level)
        form.addRow("Noise band", self.noise_band)
        form.addRow("Clear must hold for", self.clear_delay)
        form.addRow("", self.enabled)
        form.addRow(self.error)
        form.addRow(buttons)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.comparison.currentIndexChanged.connect(self._on_comparison_changed)
        if threshold is not None:
            self._show(threshold)
        self._on_comparison_changed()

    def _show(self, t: Threshold) -> None:
        self.metric_box.setCurrentIndex(self.metric_box.findData(t.metric))
        self.comparison.setCurrentIndex(self.comparison.findData(t.comparison.value))
        self.level.setText(_text(t.level))
        self.clear_level.setText(_text(t.clear_level))
        self.band_low.setText(_text(t.band_low))
        self.band_high.setText(_text(t.band_high))
        self.severity.setCurrentIndex(self.severity.findData(t.severity.value))
        self.delay.setValue(t.delay_s)
        self.charge_level.setText(_text(t.charge_level))
        self.fast_level.setText(_text(t.fast_level))
        self.noise_band.setText(_text(t.noise_band or None))
        self.clear_delay.setValue(t.clear_delay_s)
        self.enabled.setChecked(t.enabled)

    def _on_comparison_changed(self) -> None:
        band = self.comparison.currentData() == Comparison.OUTSIDE.value
        self.level.setEnabled(not band)
        self.charge_level.setEnabled(not band)
        self.fast_level.setEnabled(not band)
        self.band_low.setEnabled(band)
        self.band_high.setEnabled(band)
        self.clear_level.setPlaceholderText(
            "hysteresis margin (0)" if band else "same as the level"
        )

    def build(self) -> Threshold:
        """The threshold the fields describe; :class:`SchemaError` naming what is wrong."""
        band = self.comparison.currentData() == Comparison.OUTSIDE.value
        return Threshold(
            metric=self.metric_box.currentData(),
            comparison=self.comparison.currentData(),
            level=None if band else _number(self.level.text(), "level"),
            clear_level=_number(self.clear_level.text(), "clear level"),
            band_low=_number(self.band_low.text(), "band low") if band else None,
            band_high=_number(self.band_high.text(), "band high") if band else None,
            severity=self.severity.currentData(),
            delay_s=self.delay.value(),
            charge_level=None if band else _number(self.charge_level.text(), "charge level"),
            fast_level=None if band else _number(self.fast_level.text(), "fast level"),
            noise_band=_number(self.noise_band.text(), "noise band") or 0.0,
            clear_delay_s=self.clear_delay.value(),
            enabled=self.enabled.isChecked(),
            profile=self.profile,
            id=self.original.id if self.original is not None else None,
        )

    def accept(self) -> None:
        try:
            self.threshold = self.build()
        except SchemaError as exc:
            self.error.setText(str(exc))
            return
        super().accept()
