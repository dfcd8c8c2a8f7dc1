"""`lims keys init --lab`: one key per lab from the network CA, subject naming the lab;
rotation keeps old reports verifiable."""

from __future__ import annotations

from lims.reports.signing import init_dev_pki, load_signer, verify_pdf


def test_keys_per_lab_and_rotation(app, network, tmp_path):
    from lims.reports.render import render_report
    from lims.reports.signing import sign_pdf
    from tests.reports.sample_data import make_document

    keys = tmp_path / "keys"
    init_dev_pki(keys, lab_name="network test")
    runner = app.test_cli_runner()
    out = runner.invoke(args=["keys", "init", "--dir", str(keys), "--lab", "BL-LAB"])
    assert out.exit_code == 0, out.output
    p12 = keys / "BL-LAB" / "lab-signing.p12"
    signer = load_signer(p12, (keys / "BL-LAB" / "lab-signing.passphrase").read_text().strip())
    name = network["BL-LAB"].name
    assert signer.subject == f"Common Name: {name} 检验报告签名, Organization: {name}, Country: CN"

    again = runner.invoke(args=["keys", "init", "--dir", str(keys), "--lab", "BL-LAB"])
    assert again.exit_code == 1 and "已存在" in again.output
    unknown = runner.invoke(args=["keys", "init", "--dir", str(keys), "--lab", "NO-LAB"])
    assert unknown.exit_code == 1 and "未知的检验机构：NO-LAB" in unknown.output

    rendered = render_report(make_document())
    old = sign_pdf(rendered.pdf, signer, box=rendered.signature_box.box)
    rotated = runner.invoke(args=["keys", "init", "--dir", str(keys), "--lab", "BL-LAB",
                                  "--force"])
    assert rotated.exit_code == 0, rotated.output
    new_signer = load_signer(p12, (keys / "BL-LAB" / "lab-signing.passphrase").read_text()
                             .strip())
    assert new_signer.serial_hex != signer.serial_hex
    assert verify_pdf(old, [keys / "dev-ca.crt.pem"]).valid  # old reports stay verifiable
