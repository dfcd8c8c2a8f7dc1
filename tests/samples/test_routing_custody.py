"""Routing a Bole sample between the county lab and the prefecture lab, hand-overs, timeline."""

from decimal import Decimal

import pytest

from lims.extensions import db
from lims.samples import services
from lims.samples.lifecycle import SampleStatus, TransitionError
from lims.users.roles import Role


@pytest.fixture
def routed(receiver, receipt, network):
    """A spinach sample from 博乐市, registered at the prefecture lab and split by routing."""
    sample = services.register_sample(receipt(), receiver)
    db.session.commit()
    proposals = services.routing_proposals(sample)
    sample.planned_count = len(sample.active_tests)
    # items no lab is fit for (method not allowed by the rules, or LOQ above the limit:
    # lims.capabilities.fitness) are sent to the prefecture lab by the receiver's decision
    assignments = {test.id: (p.preferred_org or network["BZ-LAB"]).id for test, p in proposals}
    parts = services.route_sample(sample, assignments, receiver)
    db.session.commit()
    return sample, parts, proposals


def test_routing_prefers_the_county_lab_and_sends_the_rest_to_the_prefecture(routed, network):
    sample, parts, proposals = routed
    preferred = {t.test_item.analyte_key: p.preferred_org.code
                 for t, p in proposals if p.preferred_org}
    # 阿维菌素, 甲拌磷, 克百威: BL-LAB's GB 23200.113 is not a method the rules allow; the
    # prefecture lab declares GB 23200.121, which they do: it gets them
    assert {k for k, code in preferred.items() if code == "BZ-LAB"} == {"阿维菌素", "甲拌磷", "克百威"}
    # no lab of the network is fit for 铬 (method or LOQ): no proposal, a clear reason
    unfit = {t.test_item.analyte_key for t, p in proposals if p.preferred_org is None}
    assert unfit == {"铬"}
    for _test, proposal in proposals:
        if proposal.preferred_org is None:
            assert all(o.org.code != "BL-LAB" for o in proposal.options)
        elif proposal.preferred_org.code == "BZ-LAB":
            # the county lab could not do it: only then the prefecture
            assert all(o.org.code != "BL-LAB" for o in proposal.options)
    assert sample.status == SampleStatus.SPLIT
    assert [p.number for p in parts] == [f"{sample.number}-A", f"{sample.number}-B"]
    assert parts[0].assigned_org.code == "BZ-LAB" and parts[1].assigned_org.code == "BL-LAB"
    assert sum(len(p.tests) for p in parts) == sample.planned_count
    assert not sample.active_tests  # every test now lives on a sub-sample


def test_both_sub_samples_are_dispatched_and_received(routed, receiver, make_user):
    sample, (own, county), _ = routed
    county_tech = make_user("liu", org_code="BL-LAB", roles=(Role.TECHNICIAN,))
    # The prefecture's own part needs no transport.
    services.receive_at_lab(own, receiver, condition="完好")
    services.dispatch(county, receiver, condition="密封完好，冷藏", temperature_c=Decimal("4.0"))
    db.session.commit()
    assert county.status == SampleStatus.IN_TRANSIT and county.holder_org_id is None
    services.receive_at_lab(county, county_tech, condition="完好", temperature_c=Decimal("5.5"))
    db.session.commit()
    assert county.status == SampleStatus.RECEIVED_AT_LAB and county.holder_org.code == "BL-LAB"
    kinds = [e.kind.value for e in services.timeline(sample)]
    for kind in ("received", "test_plan", "split", "dispatched", "received_at_lab"):
        assert kind in kinds
    dispatched = [e for e in services.timeline(sample) if e.kind.value == "dispatched"][0]
    assert dispatched.temperature_c == Decimal("4.0") and dispatched.condition == "密封完好，冷藏"


def test_only_the_assigned_lab_receives(routed, make_user):
    _, (own, county), _ = routed
    other = make_user("wu", org_code="JH-LAB", roles=(Role.TECHNICIAN,))
    with pytest.raises(services.SampleError, match="被分配的检验机构"):
        services.receive_at_lab(county, other, condition="完好")


def test_handover_needs_a_condition(routed, receiver):
    _, (_, county), _ = routed
    with pytest.raises(services.SampleError, match="状态"):
        services.dispatch(county, receiver, condition=" ", temperature_c=None)


def test_transition_not_allowed_for_the_role_is_refused(routed, make_user):
    _, (own, _), _ = routed
    tech = make_user("wang", roles=(Role.TECHNICIAN,))
    with pytest.raises(TransitionError):
        services.transition(own, SampleStatus.CANCELLED, tech, reason="x")
    assert own.status == SampleStatus.REGISTERED


def test_routing_requires_every_test_assigned(receiver, receipt):
    sample = services.register_sample(receipt(), receiver)
    with pytest.raises(services.SampleError, match="尚未分配"):
        services.route_sample(sample, {}, receiver)


def test_all_tests_at_one_lab_do_not_split(receiver, receipt, network):
    sample = services.register_sample(receipt(), receiver)
    parts = services.route_sample(sample, {t.id: network["BZ-LAB"].id
                                           for t in sample.active_tests}, receiver)
    assert parts == [sample] and sample.assigned_org.code == "BZ-LAB" and not sample.children
