"""The navigation registry: each system app adds its menu entries in AppConfig.ready().

    from bohai.kernel.pages.navigation import menu, MenuItem
    menu.add("workbench", MenuItem(_("人口"), "identities:person_list", permission="identities.view_person"))
"""
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse

FACES = ("portal", "workbench", "ops", "admin")


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    permission: str | None = None  # Django permission code; None = anyone who can see the face
    icon: str = ""
    order: int = 100
    staff_only: bool = False

    def visible_to(self, user) -> bool:
        if self.staff_only and not getattr(user, "is_authenticated", False):
            return False
        return self.permission is None or user.has_perm(self.permission)

    @property
    def url(self) -> str:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return "#"


@dataclass
class MenuRegistry:
    items: dict[str, list[MenuItem]] = field(default_factory=lambda: {face: [] for face in FACES})

    def add(self, face: str, item: MenuItem) -> None:
        if face not in self.items:
            raise ValueError(f"unknown face {face!r}; one of {FACES}")
        if item not in self.items[face]:
            self.items[face].append(item)

    def for_user(self, face: str, user) -> list[MenuItem]:
        return sorted((i for i in self.items[face] if i.visible_to(user)), key=lambda i: (i.order, i.label))


menu = MenuRegistry()
