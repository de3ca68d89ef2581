"""`bohai demo [--scale demo|city] [--seed 2026]`: deterministic demo data; running it again adds nothing."""
import argparse
import itertools
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from bohai.kernel.accounts.actions import ensure_reference_roles
from bohai.kernel.audit.context import origin
from bohai.kernel.bootstrap.contributions import demo_steps, reference_steps
from bohai.kernel.demo.accounts import demo_accounts_table, demo_password, ensure_demo_accounts, ensure_unit_staff
from bohai.kernel.demo.actions import store_demo_entities, store_demo_persons
from bohai.kernel.demo.generators import EntityStream, PersonStream, counties_with_places
from bohai.kernel.demo.models import DemoDataset
from bohai.kernel.organisations.actions import load_reference_organisations
from bohai.kernel.organisations.models import Organisation
from bohai.kernel.regions.models import Region

ACTOR = "system:demo"
SCALES = {"demo": (20_000, 3_000), "city": (7_300_000, 500_000)}
BATCH_SIZE = 2000


class Command(BaseCommand):
    help = _("生成演示数据：居民、法人、各机构工作人员与各角色演示账户（确定性、可重复执行）")

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="demo",
                            help=_("demo：2 万居民、3 千法人；city：730 万居民、50 万法人（基准测试用）"))
        parser.add_argument("--seed", type=int, default=2026, help=_("随机种子，默认 2026"))
        parser.add_argument("--quiet", action="store_true", help=_("不显示进度条"))
        # Small runs for tests.
        parser.add_argument("--persons", type=int, help=argparse.SUPPRESS)
        parser.add_argument("--entities", type=int, help=argparse.SUPPRESS)
        parser.add_argument("--kernel-only", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args, scale, seed, quiet=False, persons=None, entities=None, kernel_only=False, **options):
        default_persons, default_entities = SCALES[scale]
        self.quiet = quiet
        started = time.monotonic()
        with origin("cli", address="demo"):
            self._prerequisites()
            dataset, _created = DemoDataset.objects.get_or_create(seed=seed)
            counties = counties_with_places()
            self._persons(dataset, counties, default_persons if persons is None else persons)
            self._entities(dataset, counties, default_entities if entities is None else entities)
            password = demo_password()
            try:
                staff = ensure_unit_staff(actor=ACTOR, password=password, seed=seed)
                named = ensure_demo_accounts(actor=ACTOR, password=password, seed=seed)
            except ValidationError as error:
                raise CommandError(_("演示账户的密码不符合密码规则（BOHAI_DEMO_PASSWORD）：%(reasons)s")
                                   % {"reasons": " ".join(error.messages)})
            if not kernel_only:
                self._system_demo_data(seed)
        self.stdout.write(_("演示数据就绪（%(seconds).1f 秒）：新建机构工作人员账户 %(staff)d 个，角色演示账户 %(named)d 个")
                          % {"seconds": time.monotonic() - started, "staff": staff, "named": named})
        self.stdout.write(demo_accounts_table())

    def _prerequisites(self) -> None:
        ensure_reference_roles(actor=ACTOR)
        if not Region.objects.filter(key=settings.BOHAI_CITY_CODE).exists():
            from bohai.kernel.regions.actions import load_reference_divisions

            load_reference_divisions(settings.BOHAI_CITY_CODE, actor=ACTOR)
        if not Organisation.objects.exists():
            load_reference_organisations(actor=ACTOR)
        for _label, load in reference_steps():
            load(actor=ACTOR)

    def _system_demo_data(self, seed: int) -> None:
        """Each system's demo data (applications, cases, readings …), after the people and accounts it uses."""
        for label, generate in demo_steps():
            started = time.monotonic()
            result = generate(actor=ACTOR, seed=seed)
            self.stdout.write(_("%(label)s：%(result)s（%(seconds).1f 秒）")
                              % {"label": label, "result": result, "seconds": time.monotonic() - started})

    def _persons(self, dataset: DemoDataset, counties, target: int) -> None:
        done = dataset.persons_generated
        if done >= target:
            return
        stream = iter(PersonStream(dataset.seed, counties))
        for _skipped in itertools.islice(stream, done):  # replay what earlier runs stored
            pass
        self._store(dataset, stream, target - done, store_demo_persons, _("生成居民"))

    def _entities(self, dataset: DemoDataset, counties, target: int) -> None:
        done = dataset.entities_generated
        if done >= target:
            return
        stream = iter(EntityStream(dataset.seed, counties))
        for _skipped in itertools.islice(stream, done):
            pass
        self._store(dataset, stream, target - done, store_demo_entities, _("生成法人"))

    def _store(self, dataset, stream, count: int, store, label: str) -> None:
        with tqdm(total=count, desc=label, unit=_("条"), disable=self.quiet, dynamic_ncols=True) as bar:
            remaining = count
            while remaining:
                batch = list(itertools.islice(stream, min(BATCH_SIZE, remaining)))
                store(dataset, batch, actor=ACTOR)
                remaining -= len(batch)
                bar.update(len(batch))
