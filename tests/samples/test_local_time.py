"""One configured zone for what people read: pages, labels, sample-number years; UTC in
storage (hand-computed: 2026-11-30 17:30 UTC is 2026-12-01 01:30 in Asia/Shanghai)."""

import datetime as dt

from lims.core import localtime
from lims.extensions import db
from lims.samples.labels import label_data
from lims.samples.services import register_sample

MOMENT = dt.datetime(2026, 11, 30, 17, 30, tzinfo=dt.UTC)


def test_filter_and_helpers_use_the_configured_zone(app):
    assert localtime.format_local(MOMENT) == "2026-12-01 01:30"
    assert localtime.format_local(MOMENT, "%H:%M:%S") == "01:30:00"
    assert localtime.local_date(MOMENT) == dt.date(2026, 12, 1)
    assert localtime.format_local(None) == "—"
    assert localtime.format_local(dt.date(2026, 12, 1)) == "2026-12-01"
    app.config["BABEL_DEFAULT_TIMEZONE"] = "UTC"  # LIMS_TIMEZONE=UTC
    assert localtime.format_local(MOMENT) == "2026-11-30 17:30"
    assert localtime.zone_label() == "UTC (UTC+00:00)"


def test_sample_page_and_label_show_local_time(receiver, receipt, login, client):
    sample = register_sample(receipt(), receiver)
    sample.received_at = MOMENT
    for event in sample.events:
        event.at = MOMENT
    db.session.commit()
    assert label_data(sample)[0].received_on == dt.date(2026, 12, 1)
    login("li")
    page = client.get(f"/samples/{sample.number}").get_data(as_text=True)
    assert "2026-12-01 01:30" in page and "2026-11-30 17:30" not in page
