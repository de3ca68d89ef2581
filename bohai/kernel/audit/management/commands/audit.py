"""`bohai audit verify`: walk the SM3 chain and name every altered, removed or inserted record."""
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from bohai.kernel.audit.chain import CHAINED_FIELDS, verify_chain
from bohai.kernel.audit.models import AuditRecord


def chained_rows(batch_size: int = 5000):
    """Records in seq order as dicts, read in keyset-paginated batches to bound memory."""
    fields = (*CHAINED_FIELDS, "hash")
    last_seq = 0
    while True:
        batch = list(AuditRecord.objects.filter(seq__gt=last_seq).order_by("seq").values(*fields)[:batch_size])
        if not batch:
            return
        yield from batch
        last_seq = batch[-1]["seq"]


class Command(BaseCommand):
    help = "审计记录：verify 校验 SM3 哈希链"

    def add_arguments(self, parser):
        parser.add_argument("operation", choices=["verify"])
        parser.add_argument("--quiet", action="store_true", help="不显示进度条")

    def handle(self, *args, operation, quiet=False, **options):
        total = AuditRecord.objects.count()
        with tqdm(total=total, desc="校验审计链", unit="条", disable=quiet) as bar:
            report = verify_chain(chained_rows(), progress=bar.update)
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"审计链完整：已校验 {report.checked} 条记录"))
            return
        for problem in report.problems:
            self.stderr.write(problem)
        raise CommandError(f"审计链被破坏：{len(report.problems)} 处问题（共校验 {report.checked} 条）")
