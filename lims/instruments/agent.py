"""The bench agent: reads an instrument on a bench PC and delivers readings to the LIMS.

Run as ``lims agent --server URL --token TOKEN --instrument CODE --port PORT [--driver NAME]``.
Each cycle it (1) takes every line the instrument pushed by itself (PRINT key, reader result),
(2) asks the server for capture requests and reads the instrument for each, (3) sends the
queued readings. Every reading goes to the local queue (agent_queue.py) *before* it is sent.
A line pushed while a command is under way is queued too (the session hands it over instead
of discarding it), and the queue delivers readings in the order they were taken.

Server contract (the server side implements exactly this):

``POST {server}/api/v1/instruments/{code}/readings``
    Headers ``Authorization: Bearer TOKEN``, ``Idempotency-Key: <uid>``. JSON body::

        {"uid", "value", "unit", "stable", "status", "raw_b64", "raw_text",
         "read_at" (ISO 8601 UTC), "driver", "serial_number" (or null),
         "request_id" (capture request answered, or null)}

    plus, for rapid-test readers, ``channel``, ``sample_id``, ``item``, ``inhibition_pct``,
    ``tc_ratio``, ``positive`` when known. Answers: 201 created or 200 already had this uid
    with the same content -> delivered; 409 conflict or 422 refused (e.g. instrument out of
    calibration; body ``{"error": "..."}``) -> permanent, the queued reading is marked
    rejected and never retried; 5xx, other 4xx (e.g. 401 bad token), connection error or
    time-out -> kept and retried with exponential backoff (2, 4, 8 ... 300 s).

``GET {server}/api/v1/instruments/{code}/capture-requests``
    -> ``{"requests": [{"id": 12, "command": "S"}]}``; the agent reads the instrument with
    that command and posts the reading with ``request_id`` 12. A request already answered
    (its reading is in the queue) is not read twice.

``GET {server}/api/v1/instruments/{code}`` (only when ``--driver`` is not given)
    -> ``{"driver": "mt-sics", "port_settings": {"baudrate": 9600, ...}}``.

Exactly-once: the uid is made once, stored with the reading and sent as the idempotency
key on every attempt, so a reply lost on the network leads to a resend the server answers
200 without storing a second reading.

At a market's rapid-test station (``lims agent --station-market CODE …``) the same loop runs
with a :class:`StationUploader` in place of the server client: each reader result becomes a
station record (the queue's uid is the record's uid) posted as a one-record batch to
``POST {server}/api/v1/stations/results``; the stall, vendor and food of each sample id come
from the station's sample sheet (a CSV the operator fills in: ``sample_id, stall, vendor,
food_name, food_category[, test_item]``).  A reading whose sample id is not on the sheet yet
stays queued until it is.  Answers are read as above (200 delivered, 409/422 rejected).
"""

from __future__ import annotations

import base64
import csv
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from lims.instruments.agent_queue import ReadingQueue
from lims.instruments.errors import InstrumentError, NoResponse, PortLost, PortUnavailable
from lims.instruments.reading import Reading, escape_raw
from lims.instruments.transport import InstrumentSession

log = logging.getLogger("lims.instruments.agent")

DELIVERED = "delivered"
REJECTED = "rejected"
RETRY = "retry"
#: not sendable yet for a reason of its own (a station sample not on the sheet): the reading
#: waits without holding back the ones behind it
HOLD = "hold"


def reading_payload(
    reading: Reading, *, serial_number: str | None = None, request_id: int | None = None
) -> dict:
    """The POST body for one reading (without ``uid``: the queue assigns it)."""
    data = reading.to_json()
    payload = {
        "value": reading.value,
        "unit": reading.unit,
        "stable": reading.stable,
        "status": reading.status,
        "raw_b64": base64.b64encode(reading.raw).decode("ascii"),
        "raw_text": escape_raw(reading.raw),
        "read_at": data["read_at"],
        "driver": reading.driver,
        "serial_number": serial_number,
        "request_id": request_id,
    }
    for key in ("channel", "sample_id", "item", "inhibition_pct", "tc_ratio", "positive"):
        if key in data:
            payload[key] = data[key]
    return payload


@dataclass(frozen=True)
class SendResult:
    outcome: str  # DELIVERED, REJECTED, RETRY or HOLD
    status_code: int | None
    error: str | None = None


class ServerClient:
    def __init__(
        self,
        server: str,
        token: str,
        instrument: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base = f"{server.rstrip('/')}/api/v1/instruments/{instrument}"
        self._http = httpx.Client(
            headers={"Authorization": f"Bearer {token}", "User-Agent": "lims-agent"},
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def post_reading(self, payload: dict) -> SendResult:
        try:
            resp = self._http.post(
                f"{self.base}/readings",
                json=payload,
                headers={"Idempotency-Key": payload["uid"]},
            )
        except httpx.HTTPError as exc:
            return SendResult(RETRY, None, f"{type(exc).__name__}: {exc}")
        if resp.status_code in (200, 201):
            return SendResult(DELIVERED, resp.status_code)
        error = _error_text(resp)
        if resp.status_code in (409, 422):
            return SendResult(REJECTED, resp.status_code, error)
        return SendResult(RETRY, resp.status_code, f"HTTP {resp.status_code}: {error}")

    def capture_requests(self) -> list[dict]:
        resp = self._http.get(f"{self.base}/capture-requests")
        resp.raise_for_status()
        requests = resp.json().get("requests", [])
        if not isinstance(requests, list):
            raise ValueError("capture-requests: 'requests' is not a list")
        return requests

    def instrument_config(self) -> dict:
        resp = self._http.get(self.base)
        resp.raise_for_status()
        return resp.json()


def _error_text(resp: httpx.Response) -> str:
    try:
        body = resp.json()
        if isinstance(body, dict) and "error" in body:
            return str(body["error"])
    except ValueError:
        pass
    return resp.text[:300] or f"HTTP {resp.status_code}"


#: rapid-test method of the station records, by reader driver
STATION_METHODS = {"pesticide-reader": "enzyme_inhibition", "gold-reader": "colloidal_gold"}


class StationUploader:
    """The agent's server side at a market station: readings go to the station results API.

    Offers the ServerClient methods the Agent uses (``post_reading``, ``capture_requests``,
    ``close``); a reader pushes its results, so there are no capture requests.
    """

    def __init__(
        self,
        server: str,
        token: str,
        market: str,
        *,
        operator: str,
        sample_sheet: str | Path | None = None,
        kit_lot: str | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = f"{server.rstrip('/')}/api/v1/stations/results"
        self.market, self.operator, self.kit_lot = market, operator, kit_lot
        self.sample_sheet = Path(sample_sheet).expanduser() if sample_sheet else None
        self._http = httpx.Client(
            headers={"Authorization": f"Bearer {token}", "User-Agent": "lims-agent",
                     "X-Lims-Source": "agent"},
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def capture_requests(self) -> list[dict]:
        return []

    def samples(self) -> dict[str, dict]:
        """The sheet, read afresh each time: the operator adds samples during the morning."""
        if self.sample_sheet is None or not self.sample_sheet.exists():
            return {}
        with self.sample_sheet.open(encoding="utf-8-sig", newline="") as fh:
            return {row["sample_id"].strip(): row for row in csv.DictReader(fh)
                    if (row.get("sample_id") or "").strip()}

    def record(self, payload: dict) -> dict | None:
        """The station record of a queued reading, or None while its sample is not on the sheet."""
        info = self.samples().get(str(payload.get("sample_id") or ""))
        if info is None:
            return None
        method = STATION_METHODS.get(payload.get("driver", ""), "other_kit")
        record = {
            "uid": payload["uid"], "market": self.market, "stall": info["stall"],
            "vendor": info.get("vendor") or None, "food_name": info["food_name"],
            "food_category": info["food_category"],
            "test_item": info.get("test_item") or payload.get("item") or "",
            "method": method, "station_verdict": "positive" if payload.get("positive")
            else "negative",
            "tested_at": payload["read_at"], "operator": self.operator,
            "instrument_serial": payload.get("serial_number"), "kit_lot": self.kit_lot,
            "raw_line": payload.get("raw_text"),
        }
        if method == "enzyme_inhibition":
            record["inhibition_pct"] = payload.get("inhibition_pct")
        elif method == "colloidal_gold":
            record["tc_ratio"] = payload.get("tc_ratio")
            # lims-gr1 line: $GR,ch,sample,item,T,C,T/C,cut-off,COMP|SAND,judgement*HH
            fields = base64.b64decode(payload.get("raw_b64") or "").decode(
                "ascii", "replace").split("*")[0].split(",")
            if len(fields) >= 10:
                record["tc_cutoff"], record["assay"] = fields[7], fields[8]
        return {k: v for k, v in record.items() if v is not None}

    def post_reading(self, payload: dict) -> SendResult:
        record = self.record(payload)
        if record is None:
            return SendResult(HOLD, None, f"样品 {payload.get('sample_id')} 不在样品登记表中")
        try:
            resp = self._http.post(self.url, json={"records": [record]})
        except httpx.HTTPError as exc:
            return SendResult(RETRY, None, f"{type(exc).__name__}: {exc}")
        if resp.status_code == 200:
            return SendResult(DELIVERED, resp.status_code)
        error = _error_text(resp)
        try:
            body = resp.json()
        except ValueError:
            body = None
        details = body.get("details") if isinstance(body, dict) else None
        problems = details.get("records") if isinstance(details, dict) else None
        if problems and isinstance(problems[0], dict):
            error += ": " + "; ".join(f"{k}: {v}" for k, v in
                                      (problems[0].get("errors") or {}).items())
        if resp.status_code in (409, 422):
            return SendResult(REJECTED, resp.status_code, error)
        return SendResult(RETRY, resp.status_code, f"HTTP {resp.status_code}: {error}")


class Agent:
    def __init__(
        self,
        session: InstrumentSession,
        client: ServerClient,
        queue: ReadingQueue,
        *,
        poll_interval: float = 2.0,
        read_timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.session = session
        self.client = client
        self.queue = queue
        self.poll_interval = poll_interval
        self.read_timeout = read_timeout
        self.clock = clock
        self.serial_number: str | None = None
        self.errors: list[InstrumentError] = []
        if session is not None:
            session.on_unsolicited = self._pushed_frame

    # capturing --------------------------------------------------------------------------
    def capture(self, reading: Reading, *, request_id: int | None = None) -> str:
        payload = reading_payload(reading, serial_number=self.serial_number, request_id=request_id)
        uid = self.queue.add(payload, now=self.clock())
        log.info("queued reading %s: %s %s", uid, reading.value, reading.unit)
        return uid

    def identify(self) -> None:
        try:
            self.serial_number = self.session.serial_number()
        except InstrumentError as exc:
            log.warning("could not read the serial number: %s", exc)

    def _pushed_frame(self, frame: bytes) -> None:
        """A line the instrument sent by itself, found around a command exchange: queued like
        any pushed reading (unstable lines are skipped, as ``receive`` does)."""
        try:
            reading = self.session.driver.parse(frame)
        except InstrumentError as exc:
            self._instrument_error(exc)
            return
        if reading.stable:
            self.capture(reading)
        else:
            log.info("pushed unstable line skipped: %r", frame)

    def listen_once(self, timeout: float) -> str | None:
        """Take the readings pushed by the instrument (PRINT key) within timeout: the first
        one waited for, then every further complete line already received."""
        if timeout <= 0:
            return None
        try:
            reading = self.session.receive(timeout=timeout)
        except NoResponse:
            return None
        except (PortLost, PortUnavailable):
            raise
        except InstrumentError as exc:
            self._instrument_error(exc)
            return None
        uid = self.capture(reading)
        self.session.drain()
        return uid

    def handle_requests(self) -> list[str]:
        try:
            requests = self.client.capture_requests()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("capture requests unavailable: %s", exc)
            return []
        uids = []
        for req in requests:
            request_id = req.get("id")
            if not isinstance(request_id, int) or self.queue.has_request(request_id):
                continue
            try:
                reading = self.session.read(req.get("command") or None, timeout=self.read_timeout)
            except (PortLost, PortUnavailable):
                raise
            except InstrumentError as exc:
                self._instrument_error(exc, request_id=request_id)
                continue
            uids.append(self.capture(reading, request_id=request_id))
        if requests:
            self.session.drain()
        return uids

    def _instrument_error(self, exc: InstrumentError, request_id: int | None = None) -> None:
        self.errors.append(exc)
        log.error("instrument fault (request %s): %s / %s", request_id, exc, exc.message_zh)

    # delivering -------------------------------------------------------------------------
    def flush(self) -> dict[str, int]:
        """Send due readings in the order they were taken; stop at the first one the server
        could not take (it stays at the head of the queue, so none overtakes it)."""
        done = {DELIVERED: 0, REJECTED: 0, RETRY: 0, HOLD: 0}
        for item in self.queue.due(now=self.clock()):
            result = self.client.post_reading(item.payload)
            done[result.outcome] += 1
            if result.outcome == DELIVERED:
                self.queue.mark_sent(item.uid)
            elif result.outcome == REJECTED:
                self.queue.mark_rejected(item.uid, result.error or "rejected")
                log.error("server rejected reading %s: %s", item.uid, result.error)
            elif result.outcome == HOLD:
                log.info("reading %s waits: %s", item.uid, result.error)
            else:
                self.queue.mark_failed(item.uid, result.error or "retry", now=self.clock())
                log.warning("server unreachable, reading %s kept: %s", item.uid, result.error)
                break  # the server is down: the rest waits for the next cycle
        return done

    def run_once(self) -> None:
        self.listen_once(self.poll_interval)
        self.handle_requests()
        self.flush()

    def run(self, stop: threading.Event | None = None) -> None:
        stop = stop or threading.Event()
        self.identify()
        while not stop.is_set():
            try:
                self.run_once()
            except (PortLost, PortUnavailable) as exc:
                # the cable is out: keep delivering what is queued, try the port again later
                log.error("%s / %s", exc, exc.message_zh)
                self.session.close()
                self.flush()
                stop.wait(max(self.poll_interval, 1.0))
