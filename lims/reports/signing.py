"""PAdES signing of report PDFs with the lab's X.509 key, and verification.

* ``init_dev_pki`` creates a development CA and a lab signing certificate
  (keyUsage digitalSignature + nonRepudiation) for demos; production loads
  the lab's PKCS#12 file with ``load_signer``.
* ``sign_pdf`` adds a PAdES B-B signature (no timestamp: the network has no
  TSA offline) with a visible widget on the last page.
* ``verify_pdf`` validates the signature against the lab CA and never raises
  on bad input: a damaged file is reported ``valid=False`` with a reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import os
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.stamp import BaseStamp, BaseStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from lims.reports.render import METADATA_KEY

log = logging.getLogger(__name__)

PASSPHRASE_ENV = "LIMS_SIGNING_PASSPHRASE"
DEFAULT_KEYS_DIR = Path("instance/keys")
CA_CERT_NAME = "dev-ca.crt.pem"
CA_KEY_NAME = "dev-ca.key.pem"
LAB_P12_NAME = "lab-signing.p12"
LAB_CERT_NAME = "lab-signing.crt.pem"
PASSPHRASE_NAME = "lab-signing.passphrase"
DEFAULT_FIELD_NAME = "LabSignature"

# The visible signature block is drawn by the report template (Chinese, in the CJK font
# WeasyPrint embeds: lab, signatory, certificate subject and serial, local time); the
# widget pyHanko places exactly over that box is transparent, so no non-embedded
# standard-14 font (Courier) ever appears on a report.
class _TransparentStamp(BaseStamp):
    def _render_inner_content(self) -> list[bytes]:
        return []  # nothing: the template drew the Chinese block under the widget


@dataclass(frozen=True)
class _TransparentStampStyle(BaseStampStyle):
    """An appearance stream with nothing drawn (no border, no background, no font)."""

    def create_stamp(self, writer, box, text_params):  # noqa: ANN001, ANN201 - pyHanko's API
        return _TransparentStamp(writer, style=self, box=box)


STAMP_STYLE = _TransparentStampStyle(border_width=0)


class SigningSetupError(RuntimeError):
    """Keys or certificates cannot be created or loaded."""


# --------------------------------------------------------------------------- PKI


@dataclass(frozen=True)
class DevPkiPaths:
    ca_cert: Path
    ca_key: Path
    lab_cert: Path
    lab_pkcs12: Path
    passphrase_file: Path | None  # None when the passphrase came from the environment


def _name(common_name: str, org: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable by the owner only (created with 0600, not chmod-ed later)."""
    if path.exists():
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def init_dev_pki(
    directory: str | os.PathLike[str] = DEFAULT_KEYS_DIR,
    *,
    lab_name: str = "LIMS Demo Food Testing Lab",
    passphrase: str | None = None,
    overwrite: bool = False,
    validity_days: int = 3 * 365,
) -> DevPkiPaths:
    """Create a development CA and a lab signing certificate in ``directory``.

    The passphrase is ``passphrase``, else ``$LIMS_SIGNING_PASSPHRASE``, else a
    generated one saved next to the PKCS#12 file with 0600 permissions.
    Refuses to overwrite existing keys unless ``overwrite`` is set, because a
    new CA would invalidate every report signed before.
    """
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    paths = DevPkiPaths(
        ca_cert=target / CA_CERT_NAME,
        ca_key=target / CA_KEY_NAME,
        lab_cert=target / LAB_CERT_NAME,
        lab_pkcs12=target / LAB_P12_NAME,
        passphrase_file=None,
    )
    existing = [p for p in (paths.ca_cert, paths.ca_key, paths.lab_pkcs12) if p.exists()]
    if existing and not overwrite:
        raise SigningSetupError(
            f"密钥文件已存在：{', '.join(str(p) for p in existing)}；"
            "重新生成会使已签名报告无法验证，如确需重建请使用 --force"
        )
    if passphrase is None:
        passphrase = os.environ.get(PASSPHRASE_ENV) or None
    stale = target / PASSPHRASE_NAME
    if passphrase is None:
        passphrase = secrets.token_urlsafe(24)
        paths = DevPkiPaths(**{**asdict(paths), "passphrase_file": target / PASSPHRASE_NAME})
        _write_private(target / PASSPHRASE_NAME, (passphrase + "\n").encode())
    elif stale.exists():
        # A leftover file from an earlier init would no longer open the new key.
        stale.unlink()
    secret = passphrase.encode()

    now = dt.datetime.now(dt.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    ca_name = _name(f"{lab_name} Development CA", lab_name)
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=validity_days + 365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )

    lab_key, lab_cert = _issue_signing_certificate(
        ca_key, ca_name, f"{lab_name} Report Signing", lab_name, validity_days)

    paths.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths.lab_cert.write_bytes(lab_cert.public_bytes(serialization.Encoding.PEM))
    _write_private(
        paths.ca_key,
        ca_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(secret),
        ),
    )
    _write_private(
        paths.lab_pkcs12,
        pkcs12.serialize_key_and_certificates(
            name=b"lab-signing",
            key=lab_key,
            cert=lab_cert,
            cas=[ca_cert],
            encryption_algorithm=serialization.BestAvailableEncryption(secret),
        ),
    )
    return paths


def _issue_signing_certificate(ca_key, ca_subject: x509.Name, common_name: str, lab_name: str,
                               validity_days: int):
    """A new report-signing key and its certificate issued by the CA: end entity, digital
    signature and nonRepudiation (the lab stands behind the report)."""
    now = dt.datetime.now(dt.UTC)
    lab_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    lab_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, lab_name))
        .issuer_name(ca_subject)
        .public_key(lab_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=validity_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=True,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          key_cert_sign=False, crl_sign=False, encipher_only=False,
                          decipher_only=False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(lab_key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    return lab_key, lab_cert


def lab_key_dir(directory: str | os.PathLike[str], lab_code: str) -> Path:
    """Where one lab's PKCS#12 lives: ``<keys dir>/<lab code>/``."""
    return Path(directory) / lab_code


def init_lab_key(
    directory: str | os.PathLike[str],
    lab_code: str,
    lab_name: str,
    *,
    overwrite: bool = False,
    validity_days: int = 3 * 365,
) -> Path:
    """A signing key and certificate for one lab of the network, issued by the network CA in
    ``directory`` (created with :func:`init_dev_pki`); subject O=CN=the lab's name.

    Written to ``<directory>/<lab code>/lab-signing.p12`` with its own generated passphrase
    file (0600). Rotation: run again with ``overwrite`` — reports signed before stay
    verifiable, their certificate chains to the same CA.
    """
    root = Path(directory)
    ca_cert_path, ca_key_path = root / CA_CERT_NAME, root / CA_KEY_NAME
    if not ca_cert_path.is_file() or not ca_key_path.is_file():
        raise SigningSetupError(f"未找到网络 CA（{ca_cert_path}），请先运行 lims keys init")
    target = lab_key_dir(root, lab_code)
    if (target / LAB_P12_NAME).exists() and not overwrite:
        raise SigningSetupError(f"实验室 {lab_code} 的签名证书已存在：{target / LAB_P12_NAME}；"
                                "轮换请使用 --force（旧报告仍可验证）")
    ca_secret = read_passphrase(root).encode()
    ca_cert = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
    ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=ca_secret)
    target.mkdir(parents=True, exist_ok=True)
    passphrase = secrets.token_urlsafe(24)
    lab_key, lab_cert = _issue_signing_certificate(
        ca_key, ca_cert.subject, f"{lab_name} 检验报告签名", lab_name, validity_days)
    (target / LAB_CERT_NAME).write_bytes(lab_cert.public_bytes(serialization.Encoding.PEM))
    _write_private(target / PASSPHRASE_NAME, (passphrase + "\n").encode())
    _write_private(
        target / LAB_P12_NAME,
        pkcs12.serialize_key_and_certificates(
            name=lab_code.encode(), key=lab_key, cert=lab_cert, cas=[ca_cert],
            encryption_algorithm=serialization.BestAvailableEncryption(passphrase.encode())),
    )
    return target / LAB_P12_NAME


def read_passphrase(directory: str | os.PathLike[str] = DEFAULT_KEYS_DIR) -> str:
    """The signing passphrase: ``$LIMS_SIGNING_PASSPHRASE`` or the file written by init."""
    from_env = os.environ.get(PASSPHRASE_ENV)
    if from_env:
        return from_env
    path = Path(directory) / PASSPHRASE_NAME
    try:
        return path.read_text().strip()
    except FileNotFoundError as exc:
        raise SigningSetupError(f"未设置 {PASSPHRASE_ENV}，也未找到口令文件 {path}") from exc


# ----------------------------------------------------------------------- signing


class _CachedKeySigner(signers.SimpleSigner):
    """SimpleSigner that parses its private key once.

    pyHanko re-parses the DER key on every signature, which with RSA key
    validation costs ~30 ms per call, a large share of the signing budget.
    """

    _pyca_key: PrivateKeyTypes | None = None

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if self._pyca_key is None:
            self._pyca_key = serialization.load_der_private_key(
                self.signing_key.dump(), password=None
            )
        key = self._pyca_key
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), hash_algo)
        if mechanism == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(hash_algo))
        return super().sign_raw(data, digest_algorithm)


@dataclass(frozen=True)
class LabSigner:
    """A loaded signing key; load once per process and reuse (loading costs a PBKDF)."""

    signer: signers.SimpleSigner
    subject: str
    serial_hex: str
    # Hex digits reserved for the CMS blob; computed once instead of pyHanko's
    # per-signature dry run.
    bytes_reserved: int


def _reserve_for(signer: signers.SimpleSigner) -> int:
    cert_bytes = sum(len(c.dump()) for c in signer.cert_registry)
    cert_bytes += len(signer.signing_cert.dump())
    # Certificates + signature (≤ 512 bytes for RSA-4096) + signed attributes and
    # CMS framing, with ample margin; doubled because /Contents is hex.
    return 2 * (cert_bytes + 8192)


def load_signer(pkcs12_path: str | os.PathLike[str], passphrase: str | bytes) -> LabSigner:
    """Load the lab's signing key and certificate chain from a PKCS#12 file."""
    path = Path(pkcs12_path)
    if not path.is_file():
        raise SigningSetupError(f"签名证书文件不存在：{path}")
    secret = passphrase.encode() if isinstance(passphrase, str) else passphrase
    try:
        loaded = signers.SimpleSigner.load_pkcs12_data(path.read_bytes(), (), passphrase=secret)
    except Exception as exc:  # cryptography raises ValueError or others for bad data
        raise SigningSetupError(f"无法读取签名证书 {path}：口令错误或文件损坏（{exc}）") from exc
    if loaded is None or loaded.signing_cert is None:
        raise SigningSetupError(f"无法读取签名证书 {path}：口令错误或文件损坏")
    signer = _CachedKeySigner(
        signing_cert=loaded.signing_cert,
        signing_key=loaded.signing_key,
        cert_registry=loaded.cert_registry,
        signature_mechanism=loaded.signature_mechanism,
        # Verifiers get the lab CA out of band; an embedded root proves nothing.
        embed_roots=False,
    )
    cert = signer.signing_cert
    return LabSigner(
        signer=signer,
        subject=cert.subject.human_friendly,
        serial_hex=format(cert.serial_number, "X"),
        bytes_reserved=_reserve_for(signer),
    )


def sign_pdf(
    pdf_bytes: bytes,
    signer: LabSigner,
    *,
    box: tuple[int, int, int, int] | None = None,
    page_index: int = -1,
    field_name: str = DEFAULT_FIELD_NAME,
    reason: str = "检验报告批准签发",
    location: str | None = None,
) -> bytes:
    """Add a PAdES B-B signature with a visible widget and return the signed PDF.

    ``box`` is (ll_x, ll_y, ur_x, ur_y) in PDF points on page ``page_index``
    (default: the last page); ``render_report`` returns the box the template
    reserved. Without a box a 200 × 64 pt widget goes to the lower right.
    """
    if not pdf_bytes.startswith(b"%PDF-"):
        raise SigningError("待签名的数据不是 PDF 文件")
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
    if box is None:
        count = int(writer.root["/Pages"]["/Count"])
        index = count + page_index if page_index < 0 else page_index
        if not 0 <= index < count:
            raise SigningError(f"签名页码 {page_index} 超出范围（共 {count} 页）")
        page = writer.find_page_for_modification(index)[0].get_object()
        # WeasyPrint writes a MediaBox on every page; fall back to A4 for other PDFs.
        media_box = page.get("/MediaBox", (0, 0, 595, 842))
        right, bottom = float(media_box[2]), float(media_box[1])
        box = (int(right) - 250, int(bottom) + 60, int(right) - 50, int(bottom) + 124)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        location=location,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer.signer,
        stamp_style=STAMP_STYLE,
        new_field_spec=fields.SigFieldSpec(sig_field_name=field_name, on_page=page_index, box=box),
    )
    out = pdf_signer.sign_pdf(
        writer,
        bytes_reserved=signer.bytes_reserved,
        appearance_text_params={"serial": signer.serial_hex},
    )
    return out.getvalue()


# ------------------------------------------------------------------ verification


@dataclass(frozen=True)
class VerificationResult:
    valid: bool
    intact: bool
    trusted: bool
    sha256: str
    signer_subject: str | None = None
    signed_at: dt.datetime | None = None
    report_number: str | None = None
    reason: str | None = None  # why it is not valid (Chinese, shown to users)

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["signed_at"] = self.signed_at.isoformat() if self.signed_at else None
        return data


TrustRoot = asn1_x509.Certificate | x509.Certificate | str | os.PathLike[str]


def load_trust_roots(roots: Iterable[TrustRoot]) -> list[asn1_x509.Certificate]:
    """Certificates (asn1crypto or cryptography objects, or PEM/DER file paths) as asn1crypto."""
    loaded: list[asn1_x509.Certificate] = []
    for root in roots:
        if isinstance(root, asn1_x509.Certificate):
            loaded.append(root)
        elif isinstance(root, x509.Certificate):
            loaded.append(asn1_x509.Certificate.load(root.public_bytes(serialization.Encoding.DER)))
        else:
            data = Path(root).read_bytes()
            cert = (
                x509.load_pem_x509_certificate(data)
                if b"-----BEGIN" in data
                else x509.load_der_x509_certificate(data)
            )
            loaded.append(asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)))
    if not loaded:
        raise SigningSetupError("未提供可信根证书")
    return loaded


def _text(value: object) -> str | None:
    if isinstance(value, generic.TextStringObject | str):
        return str(value)
    if isinstance(value, generic.ByteStringObject | bytes):
        return bytes(value).decode("utf-8", "replace")
    return None


def _report_number(reader: PdfFileReader, revision: int) -> str | None:
    """The report number as written at render time, read from the signed revision."""
    try:
        info = reader.get_historical_resolver(revision).trailer_view["/Info"].get_object()
    except (KeyError, AttributeError):
        return None
    return _text(info.get("/" + METADATA_KEY)) or _text(info.get("/Subject"))


def _der_padding_clean(contents: bytes) -> bool:
    """True if everything after the DER-encoded CMS blob in /Contents is zero padding.

    The padding is outside the signed byte range and ignored by CMS parsers,
    so without this check a changed padding byte would go unnoticed.
    """
    if len(contents) < 2 or contents[0] != 0x30:
        return False
    first = contents[1]
    if first < 0x80:
        header, length = 2, first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or len(contents) < 2 + count:
            return False
        header, length = 2 + count, int.from_bytes(contents[2 : 2 + count], "big")
    end = header + length
    return end <= len(contents) and not any(contents[end:])


def _embedded_certs_on_path(embedded: object, status: object) -> bool:
    """True if every certificate carried in the CMS is byte-identical to one on the validated path.

    The CMS certificate set is not covered by the signature; a changed copy
    of a certificate would otherwise be ignored silently.
    """
    path = getattr(status, "validation_path", None)
    if path is None:
        return False
    genuine = {cert.dump() for cert in path.iter_certs(include_root=True)}
    signed_data = embedded.signed_data  # type: ignore[attr-defined]
    for choice in signed_data["certificates"] or ():
        if choice.name != "certificate" or choice.chosen.dump() not in genuine:
            return False
    return True


def verify_pdf(
    pdf_bytes: bytes,
    trust_roots: Sequence[TrustRoot],
    *,
    expected_sha256: str | None = None,
) -> VerificationResult:
    """Check the report's signature against the lab CA (and the stored hash, if given)."""
    digest = hashlib.sha256(pdf_bytes).hexdigest()
    roots = load_trust_roots(trust_roots)

    def invalid(reason: str, **kwargs: object) -> VerificationResult:
        fields_ = {"intact": False, "trusted": False, **kwargs}
        return VerificationResult(valid=False, sha256=digest, reason=reason, **fields_)  # type: ignore[arg-type]

    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # any parser failure means "not a verifiable report"
        log.info("verify_pdf: unreadable PDF: %s", exc)
        return invalid("文件不是有效的 PDF 或已损坏")
    if not signatures:
        return invalid("文件中没有数字签名")
    if len(signatures) > 1:
        return invalid(f"文件中有 {len(signatures)} 个签名，报告只应有实验室的一个签名")
    embedded = signatures[0]
    try:
        contents = bytes(embedded.sig_object["/Contents"])
    except Exception as exc:  # noqa: BLE001 - malformed dictionaries raise various errors
        log.info("verify_pdf: no /Contents: %s", exc)
        return invalid("签名数据已损坏，无法验证")
    if not _der_padding_clean(contents):
        return invalid("签名数据区被改动，无法验证")
    try:
        status = validate_pdf_signature(
            embedded,
            signer_validation_context=ValidationContext(
                trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail"
            ),
        )
    except Exception as exc:  # damaged CMS structures raise from deep inside pyHanko
        log.info("verify_pdf: validation failed: %s", exc)
        return invalid("签名数据已损坏，无法验证")

    report_number = _report_number(reader, embedded.signed_revision)
    signed_at = embedded.self_reported_timestamp
    subject = status.signing_cert.subject.human_friendly if status.signing_cert else None
    common = {
        "intact": bool(status.intact and status.valid),
        "trusted": bool(status.trusted),
        "signer_subject": subject,
        "signed_at": signed_at,
        "report_number": report_number,
    }
    if not (status.intact and status.valid):
        return invalid("签名与文件内容不符：报告在签名后被篡改", **common)
    if not status.trusted:
        return invalid("签名证书不是由本实验室的根证书签发", **common)
    if not _embedded_certs_on_path(embedded, status):
        return invalid("签名中嵌入的证书被改动", **common)
    if not status.bottom_line:
        return invalid("签名后文件又被修改（增量更新不被允许）", **common)
    if status.coverage is None or status.coverage.name != "ENTIRE_FILE":
        return invalid("签名未覆盖整个文件：签名后有追加内容", **common)
    if expected_sha256 is not None and expected_sha256.lower() != digest:
        return invalid("文件哈希与系统存档不一致", **common)
    return VerificationResult(valid=True, sha256=digest, **common)  # type: ignore[arg-type]
