"""`bohai audit verify`: seal what is pending, then walk the SM3 chain and name every altered,
removed or inserted record."""
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from bohai.kernel.audit.chain import seal_pending, verify_chain
from bohai.kernel.audit.models import AuditRecord


class Command(BaseCommand):
    help = "审计记录：verify 校验 SM3 哈希链；seal 封存待封存记录"

    def add_arguments(self, parser):
        parser.add_argument("operation", choices=["verify", "seal"])
        parser.add_argument("--quiet", action="store_true", help="不显示进度条")
        parser.add_argument("--no-seal", action="store_true", help="校验前不封存待封存记录")

    def handle(self, *args, operation, quiet=False, no_seal=False, **options):
        sealed = 0 if no_seal else seal_pending()
        if sealed:
            self.stdout.write(f"已封存 {sealed} 条新记录")
        if operation == "seal":
            return
        total = AuditRecord.objects.filter(seq__isnull=False).count()
        with tqdm(total=total, desc="校验审计链", unit="条", disable=quiet) as bar:
            report = verify_chain(progress=bar.update)
        if report.ok:
            note = f"，另有 {report.unsealed} 条待封存" if report.unsealed else ""
            self.stdout.write(self.style.SUCCESS(f"审计链完整：已校验 {report.checked} 条记录{note}"))
            return
        for problem in report.problems:
            self.stderr.write(problem)
        raise CommandError(f"审计链被破坏：{len(report.problems)} 处问题（共校验 {report.checked} 条）")
