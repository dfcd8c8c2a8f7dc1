"""A spinach sample's journey through the browser, from the receipt desk to two labs.

The prefecture's receiver registers a sample taken at a Bole market, prints its labels and
confirms the routing the capabilities propose: what the Bole county lab can test goes there,
the rest stays at the prefecture lab.  The county part travels in a cool box and is received in
Bole; the prefecture part is received at once.  The timeline of the sample shows all of it.
"""

from __future__ import annotations

from tests.e2e import steps

SPINACH = dict(task_type="supervision", food_name="菠菜", subcategory="菠菜",
               business_name="博乐市农贸市场 12 号摊位", business_licence="JY16527010001234",
               business_address="博乐市青得里大街 8 号", sampled_on="2026-11-20",
               sampling_place="农贸市场", sampler="李抽样、王抽样", producer="精河县某合作社",
               quantity="2", quantity_unit="kg")


BZ_LAB, BL_LAB = "博州食品药品检验检测中心", "博乐市食品检验检测站"


def test_receipt_labels_routing_and_custody(lab):
    receiver = lab.person("receiver")
    steps.shot(receiver, "01-home-receiver")
    number = steps.register_sample(receiver, dict(SPINACH))
    assert steps.status_of(receiver) == "registered"

    label = steps.download_labels(receiver)
    assert label.startswith(b"%PDF")
    assert number in steps.pdf_text(label)

    # The county lab takes what it can test; only the rest goes to the prefecture.
    proposal = steps.routing_proposal(receiver)
    assert set(proposal.values()) == {BZ_LAB, BL_LAB}, proposal
    parts = steps.confirm_routing(receiver)
    assert parts == [f"{number}-A", f"{number}-B"]
    assert steps.status_of(receiver) == "split"

    prefecture_part, county_part = parts
    steps.receive(receiver, prefecture_part, condition="完好",
                  screenshot="05-prefecture-part-received")
    assert steps.status_of(receiver) == "received_at_lab"
    steps.dispatch(receiver, county_part, condition="密封完好，冷藏", temperature="4.0",
                   screenshot="06-county-part-dispatched")
    assert steps.status_of(receiver) == "in_transit"

    county = lab.person("bl_receiver")
    steps.receive(county, county_part, condition="完好", temperature="5.5",
                  screenshot="07-county-part-received")
    assert steps.status_of(county) == "received_at_lab"

    events = steps.timeline(receiver, number)
    steps.shot(receiver, "08-timeline")
    text = "\n".join(events)
    assert f"{number}-A" in text and f"{number}-B" in text
    assert "4.0 °C" in text and "5.5 °C" in text
    assert "陈接收" in text  # the Bole receiver's name on the county receipt
