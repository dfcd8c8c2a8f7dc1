"""Command line: ``lims instruments drivers|read|simulate`` and ``lims agent``.

Neither needs the Flask app or the database.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from pathlib import Path

import click

from lims.instruments.errors import InstrumentError
from lims.instruments.registry import DRIVERS, get_driver
from lims.instruments.settings import PortSettings
from lims.instruments.transport import InstrumentSession, Port

_DRIVER = click.Choice(list(DRIVERS))


def _port_options(f):
    f = click.option("--stopbits", type=click.Choice(["1", "1.5", "2"]), help="停止位")(f)
    f = click.option("--bytesize", type=click.IntRange(5, 8), help="数据位")(f)
    f = click.option("--parity", type=click.Choice(["N", "E", "O", "M", "S"]), help="校验")(f)
    f = click.option("--baud", type=int, help="波特率 / baud rate (driver default if omitted)")(f)
    return f


instruments = click.Group("instruments", help="仪器驱动、读数与模拟器 / instrument drivers.")


@instruments.command("drivers")
@click.option("--json", "as_json", is_flag=True, help="JSON 输出")
def drivers_cmd(as_json: bool) -> None:
    """列出驱动 / list the drivers."""
    rows = []
    for name in DRIVERS:
        d = get_driver(name)
        s = d.default_settings
        rows.append(
            {
                "name": name,
                "kind": d.kind,
                "title": d.title,
                "spec": d.spec,
                "commands": sorted(d.commands),
                "default_port": f"{s.baudrate} {s.bytesize}{s.parity}{s.stopbits:g}",
            }
        )
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{r['name']:<18} {r['kind']:<8} {r['default_port']:<10} {r['title']}")
        click.echo(f"{'':<18} spec: {r['spec']}")


@instruments.command("read")
@click.option("--driver", "driver_name", type=_DRIVER, required=True)
@click.option("--port", "url", required=True, help="/dev/ttyUSB0, COM3, socket://h:p, loop://")
@click.option("--command", help="读数命令，如 S（稳定）或 SI（立即）/ reading command")
@click.option("--timeout", type=float, default=10.0, show_default=True, help="秒 / seconds")
@click.option("--allow-unstable", is_flag=True, help="接受未稳定值 / accept a dynamic value")
@click.option("--json", "as_json", is_flag=True)
@_port_options
def read_cmd(driver_name, url, command, timeout, allow_unstable, as_json, **port) -> None:
    """读取一个读数 / print one reading."""
    driver = get_driver(driver_name)
    stopbits = float(port["stopbits"]) if port["stopbits"] else None
    try:
        settings = _override(
            driver.default_settings, port["baud"], port["parity"], port["bytesize"], stopbits
        ).with_(timeout=min(timeout, driver.default_settings.timeout))
        with InstrumentSession(driver, Port(url, settings)) as session:
            reading = session.read(command, timeout=timeout, require_stable=not allow_unstable)
    except InstrumentError as exc:
        if as_json:
            click.echo(json.dumps(exc.to_json(), ensure_ascii=False))
        else:
            click.echo(f"错误：{exc.message_zh}\nerror: {exc}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(reading.to_json(), ensure_ascii=False))
    else:
        flag = "稳定" if reading.stable else "未稳定"
        click.echo(f"{reading.value} {reading.unit} ({flag}, {reading.status})")


@instruments.command("simulate")
@click.option("--driver", "driver_name", type=_DRIVER, required=True)
@click.option("--pty", "use_pty", is_flag=True, help="在伪终端上模拟 / serve on a pty")
@click.option("--tcp", "tcp_port", type=click.IntRange(0, 65535), help="在 TCP 端口上模拟")
@click.option("--script", "script_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--steps", help="脚本步骤，分号分隔 / script steps separated by ';'")
def simulate_cmd(driver_name, use_pty, tcp_port, script_file, steps) -> None:
    """模拟仪器，打印端口地址，Ctrl-C 结束 / simulate a device until Ctrl-C."""
    from lims.instruments.simulators import ScriptError, make_simulator

    if use_pty == (tcp_port is not None):
        raise click.UsageError("give exactly one of --pty or --tcp PORT")
    script = Path(script_file).read_text(encoding="utf-8") if script_file else steps
    try:
        sim = make_simulator(driver_name, script)
    except ScriptError as exc:
        raise click.UsageError(f"script: {exc}") from exc
    url = sim.serve_pty() if use_pty else sim.serve_tcp(tcp_port)
    click.echo(url)
    sys.stdout.flush()
    try:
        while not sim.stopped:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()


# -- records (need the app and the database; ``lims instruments register|certify|list``) ----


def _records_command(f):
    from flask.cli import with_appcontext

    return instruments.command(f.__name__.removesuffix("_cmd"))(with_appcontext(f))


@click.option("--port-settings", default="{}", help='JSON, 如 {"baudrate": 2400, "parity": "E"}')
@click.option("--port", "port_url", default="", help="工作站端口 / port on the bench PC")
@click.option("--bench", default="", help="工作台 / bench")
@click.option("--location", default="", help="房间 / room")
@click.option("--model", default="")
@click.option("--manufacturer", default="")
@click.option("--serial", "serial_number", default="", help="序列号 / serial number")
@click.option("--org", "org_code", required=True, help="机构代码，如 BZ-LAB / BL-ST01")
@click.option("--driver", "driver_name", type=_DRIVER, required=True)
@click.option("--kind", type=click.Choice(["balance", "pesticide_reader", "gold_reader", "other"]),
              required=True)
@click.option("--name", required=True, help="仪器名称")
@click.argument("code")
def register_cmd(code, name, kind, driver_name, org_code, serial_number, manufacturer, model,
                 location, bench, port_url, port_settings) -> None:
    """登记仪器 / register an instrument record."""
    from lims.audit.context import Actor, acting_as
    from lims.extensions import db
    from lims.instruments import services
    from lims.orgs.services import org_by_code

    with acting_as(Actor(None, "cli")):
        try:
            services.register_instrument(
                code=code, name=name, kind=kind, driver=driver_name, org=org_by_code(org_code),
                serial_number=serial_number, manufacturer=manufacturer, model=model,
                location=location, bench=bench, port_url=port_url, port_settings=port_settings)
            db.session.commit()
        except services.InstrumentInputError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
    click.echo(f"registered {code}; add a certificate: lims instruments certify {code} ...")


@click.option("--notes", default="")
@click.option("--until", "valid_until", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--from", "valid_from", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--issued-by", required=True, help="出具机构 / issuing body")
@click.option("--kind", type=click.Choice(["calibration", "verification"]), default="calibration",
              show_default=True)
@click.option("--number", required=True, help="证书编号 / certificate number")
@click.argument("code")
def certify_cmd(code, number, kind, issued_by, valid_from, valid_until, notes) -> None:
    """登记校准/检定证书 / add a calibration or verification certificate."""
    from lims.audit.context import Actor, acting_as
    from lims.extensions import db
    from lims.instruments import services

    instrument = services.find_instrument(code)
    if instrument is None:
        raise click.ClickException(f"仪器不存在：{code}")
    with acting_as(Actor(None, "cli")):
        try:
            services.add_certificate(instrument, number=number, kind=kind, issued_by=issued_by,
                                     valid_from=valid_from.date(), valid_until=valid_until.date(),
                                     notes=notes)
            db.session.commit()
        except services.InstrumentInputError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
    click.echo(f"{code}: {services.calibration_status(instrument).reason_zh}")


@click.option("--json", "as_json", is_flag=True)
def list_cmd(as_json: bool) -> None:
    """列出仪器及校准状态 / list instruments with their calibration status."""
    import sqlalchemy as sa

    from lims.extensions import db
    from lims.instruments import services
    from lims.instruments.models import Instrument

    rows = []
    for i in db.session.scalars(sa.select(Instrument).order_by(Instrument.code)):
        st = services.calibration_status(i)
        rows.append({"code": i.code, "org": i.org.code, "driver": i.driver, "bench": i.bench,
                     "serial_number": i.serial_number, "ok": st.ok, "status": st.code,
                     "reason": st.reason_zh})
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{r['code']:<12} {r['org']:<9} {r['driver']:<17} {r['status']:<15} {r['reason']}")


register_cmd = _records_command(register_cmd)
certify_cmd = _records_command(certify_cmd)
list_cmd = _records_command(list_cmd)


@click.command("agent")
@click.option("--server", required=True, help="LIMS 地址，如 https://lims.example.org")
@click.option("--token", required=True, envvar="LIMS_AGENT_TOKEN", help="API token")
@click.option("--instrument", "code", help="仪器编号 / instrument code")
@click.option("--port", "url", required=True, help="/dev/ttyUSB0, COM3, socket://h:p")
@click.option("--driver", "driver_name", type=_DRIVER, help="默认向服务器查询 / ask server")
@click.option("--queue", "queue_path", default="~/.lims-agent/queue.db", show_default=True)
@click.option("--poll", type=float, default=2.0, show_default=True, help="秒 / seconds")
@click.option("--read-timeout", type=float, default=10.0, show_default=True)
@click.option("--cycles", type=int, default=0, help="运行若干周期后退出（0 = 一直运行）")
@click.option("--station-market", help="快检室模式：结果作为该市场的快检结果上传 / market code")
@click.option("--operator", help="快检室模式：检测人 / operator's name")
@click.option("--sample-sheet", type=click.Path(dir_okay=False),
              help="快检室模式：样品登记表 CSV（sample_id,stall,vendor,food_name,food_category）")
@click.option("--kit-lot", help="快检室模式：试剂批号 / kit lot")
@_port_options
def agent(server, token, code, url, driver_name, queue_path, poll, read_timeout, cycles,
          station_market, operator, sample_sheet, kit_lot, **port):
    """工作台代理：读取仪器并上传 LIMS / bench agent."""
    from lims.instruments.agent import Agent, ServerClient, StationUploader
    from lims.instruments.agent_queue import ReadingQueue

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stored: dict = {}
    if station_market:
        if driver_name is None or not operator:
            raise click.UsageError("快检室模式需要 --driver 和 --operator")
        client = StationUploader(server, token, station_market, operator=operator,
                                 sample_sheet=sample_sheet, kit_lot=kit_lot)
    elif not code:
        raise click.UsageError("请用 --instrument 指定仪器，或用 --station-market 以快检室模式运行")
    else:
        client = ServerClient(server, token, code)
    if driver_name is None:
        try:
            config = client.instrument_config()
            driver_name, stored = config["driver"], config.get("port_settings") or {}
            get_driver(driver_name)
        except Exception as exc:  # noqa: BLE001 - any failure means: ask the operator
            raise click.UsageError(
                f"无法从服务器获取仪器驱动，请用 --driver 指定 / cannot get the driver: {exc}"
            ) from exc
    driver = get_driver(driver_name)
    stopbits = float(port["stopbits"]) if port["stopbits"] else None
    settings = PortSettings.from_mapping(stored, driver.default_settings)
    settings = _override(settings, port["baud"], port["parity"], port["bytesize"], stopbits)
    session = InstrumentSession(driver, Port(url, settings))
    with ReadingQueue(queue_path) as queue:
        runner = Agent(session, client, queue, poll_interval=poll, read_timeout=read_timeout)
        stop = threading.Event()
        if cycles:
            runner.identify()
            for _ in range(cycles):
                runner.run_once()
        else:
            try:
                runner.run(stop)
            except KeyboardInterrupt:
                stop.set()
        click.echo(json.dumps(queue.counts()))
    session.close()
    client.close()


def _override(settings: PortSettings, baud, parity, bytesize, stopbits) -> PortSettings:
    changes = {
        k: v
        for k, v in {
            "baudrate": baud,
            "parity": parity,
            "bytesize": bytesize,
            "stopbits": stopbits,
        }.items()
        if v
    }
    return settings.with_(**changes)


if __name__ == "__main__":  # python -m lims.instruments.cli ...
    cli = click.Group(commands=[instruments, agent])
    cli()
