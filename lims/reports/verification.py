"""Is this file a report the lab issued, unchanged? (public page and ``lims reports verify``)"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import sqlalchemy as sa

from lims.extensions import db
from lims.reports.models import ReportStatus, TestReport
from lims.reports.settings import trust_roots
from lims.reports.signing import VerificationResult, verify_pdf


def find_by_token(token: str) -> TestReport | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(sa.select(TestReport).where(TestReport.verify_token == token))


def find_by_sha256(digest: str) -> TestReport | None:
    return db.session.scalar(sa.select(TestReport).where(TestReport.sha256 == digest.lower()))


def find_by_number(number: str | None) -> TestReport | None:
    if not number:
        return None
    return db.session.scalar(sa.select(TestReport).where(TestReport.number == number))


@dataclass(frozen=True)
class FileCheck:
    """The answer to "is this the file the lab issued?"."""

    valid: bool
    sha256: str
    report: TestReport | None
    signature: VerificationResult
    message: str  # Chinese, for the public page and the CLI

    def to_dict(self) -> dict[str, object]:
        report = self.report
        return {"valid": self.valid, "report_number": report.number if report else
                self.signature.report_number,
                "status": report.status.value if report else None, "sha256": self.sha256,
                "signature_valid": self.signature.valid, "message": self.message}


def check_file(data: bytes, expected: TestReport | None = None) -> FileCheck:
    """Check ``data`` against the lab CA and the stored hash.

    With ``expected`` (the report of a verification page) the file must be exactly that
    report; without it, the stored report with the file's hash (or, for the message, the
    number written in the file) is looked up.
    """
    digest = hashlib.sha256(data).hexdigest()
    stored = find_by_sha256(digest)
    signature = verify_pdf(data, trust_roots(),
                           expected_sha256=expected.sha256 if expected is not None else None)
    report = expected or stored or find_by_number(signature.report_number)
    if expected is not None and digest != expected.sha256:
        message = (f"文件与报告 {expected.number} 的签发文件不一致（哈希不同），"
                   "不是本实验室签发的原件或已被改动")
        if stored is not None:
            message = f"该文件是报告 {stored.number}，不是报告 {expected.number}"
        return FileCheck(False, digest, report, signature, message)
    if stored is None:
        reason = signature.reason or "签名有效，但系统中没有该文件的签发记录"
        if report is not None:
            reason = f"文件与系统存档的报告 {report.number} 不一致：{reason}"
        return FileCheck(False, digest, report, signature, reason)
    if not signature.valid:
        return FileCheck(False, digest, stored, signature,
                         f"文件哈希与存档一致，但数字签名验证失败：{signature.reason}")
    status_note = {ReportStatus.ISSUED: "报告有效。",
                   ReportStatus.SUPERSEDED: "注意：该报告已被替代，请以替代报告为准。",
                   ReportStatus.WITHDRAWN: "注意：该报告已被撤回，不再有效。"}[stored.status]
    return FileCheck(True, digest, stored, signature,
                     f"文件与报告 {stored.number} 的签发原件完全一致，数字签名有效。{status_note}")
