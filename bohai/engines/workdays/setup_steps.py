from django.utils.translation import gettext_lazy as _

from .actions import load_reference_holidays


def reference_steps():
    return [(_("法定节假日安排"), load_reference_holidays)]
