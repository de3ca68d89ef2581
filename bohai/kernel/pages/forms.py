"""What every Bohai form shares: Tabler's input classes, so that templates stay plain."""

_CLASS_BY_INPUT_TYPE = {"checkbox": "form-check-input", "radio": "form-check-input", "select": "form-select"}


class TablerFormMixin:
    """Give each widget Tabler's class, and mark the fields that failed validation."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            input_type = getattr(field.widget, "input_type", "")
            field.widget.attrs.setdefault("class", _CLASS_BY_INPUT_TYPE.get(input_type, "form-control"))

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
