"""Working a case: each action is audited and tells the citizen by SMS."""

from sqlalchemy import select

from grievance.models import Category, Status
from sms.models import Message
from sms.notifications import deliver_complaint_updates
from staff.models import StaffAudit
from tests.factories import make_staff


def act(client, grievance, action, **form):
    return client.post(f"/staff/cases/{grievance.tracking_number}/act", {"action": action, **form})


def audited(session, grievance):
    return session.scalars(
        select(StaffAudit.action).where(StaffAudit.grievance_id == grievance.id).order_by(StaffAudit.id)
    ).all()


def test_received_to_resolved_with_the_citizen_told_at_each_step(staff_client, session, routed_case, officer):
    grievance = routed_case()
    client = staff_client(officer)
    assert act(client, grievance, "acknowledge").status_code == 303
    assert act(client, grievance, "note", note="called the union office").status_code == 303
    assert act(client, grievance, "resolve", note="paid on 20 Nov").status_code == 303
    session.refresh(grievance)
    assert grievance.status is Status.RESOLVED and grievance.assigned_to == officer.id
    assert audited(session, grievance) == ["acknowledge", "note", "resolve"]
    deliver_complaint_updates(grievance.id)
    texts = [m.template for m in session.scalars(select(Message).order_by(Message.id))]
    # received and routed (by filing), acknowledged, resolved: the note is internal.
    assert texts == ["complaint_received", "complaint_routed", "complaint_acknowledged", "complaint_resolved"]
    timeline = client.get(f"/staff/cases/{grievance.tracking_number}").get_data(as_text=True)
    assert "called the union office" in timeline and "paid on 20 Nov" in timeline


def test_resolving_or_rejecting_needs_a_reason(staff_client, session, routed_case, officer):
    grievance = routed_case()
    client = staff_client(officer)
    response = act(client, grievance, "reject")
    assert response.status_code == 303
    assert "write why in the note" in client.get(response.location).get_data(as_text=True)
    session.refresh(grievance)
    assert grievance.status is Status.ROUTED and audited(session, grievance) == []


def test_the_full_phone_only_for_the_assigned_officer_and_every_reveal_audited(
    staff_client, session, routed_case, officer
):
    grievance = routed_case()
    colleague = make_staff(session, "officer")
    session.commit()
    mine, theirs = staff_client(officer), staff_client(colleague)
    case_page = mine.get(f"/staff/cases/{grievance.tracking_number}").get_data(as_text=True)
    assert "+88017*****678" in case_page and "+8801712345678" not in case_page
    assert mine.post(f"/staff/cases/{grievance.tracking_number}/phone").status_code == 403  # not assigned yet
    act(mine, grievance, "acknowledge")
    revealed = mine.post(f"/staff/cases/{grievance.tracking_number}/phone")
    assert revealed.status_code == 200 and "+8801712345678" in revealed.get_data(as_text=True)
    assert theirs.post(f"/staff/cases/{grievance.tracking_number}/phone").status_code == 403
    assert audited(session, grievance).count("reveal_phone") == 1


def test_asking_the_citizen_sends_an_sms_within_two_segments(staff_client, session, routed_case, officer):
    from sms.encoding import segments

    grievance = routed_case()
    question = "Which union do you collect your allowance in, and since which month is it missing? " * 3
    act(staff_client(officer), grievance, "ask", note=question)
    message = session.scalar(select(Message).where(Message.template == "information_request"))
    assert message.phone == "+8801712345678" and segments(message.text).segments <= 2
    assert "Which union do you collect" in message.text and "…" in message.text
    session.refresh(grievance)
    assert grievance.status is Status.ROUTED and grievance.events[-1].note.startswith("asked the citizen:")


def test_transfer_moves_the_case_to_the_other_ministry(staff_client, session, routed_case, officer):
    grievance = routed_case(category=Category.AMOUNT_SHORT)
    food_officer = make_staff(session, "officer", ministry_code="MOFOOD")
    session.commit()
    client = staff_client(officer)
    assert act(client, grievance, "transfer", to="MOFOOD").status_code == 303  # a reason is required
    session.refresh(grievance)
    assert grievance.ministry_code == "MOSW"
    response = act(client, grievance, "transfer", to="MOFOOD", note="it is a food-friendly card case")
    assert response.status_code == 303 and response.location.endswith("/staff/")
    session.refresh(grievance)
    assert (grievance.ministry_code, grievance.status) == ("MOFOOD", Status.ROUTED)
    assert client.get(f"/staff/cases/{grievance.tracking_number}").status_code == 404
    assert staff_client(food_officer).get(f"/staff/cases/{grievance.tracking_number}").status_code == 200


def test_bulk_acknowledge(staff_client, session, routed_case, officer):
    cases = [routed_case(category=category) for category in (Category.AMOUNT_SHORT, Category.WRONG_DATA)]
    other = routed_case(programme_code="FFP", category=Category.ETOKEN_REFUSED)  # not this ministry's
    client = staff_client(officer)
    numbers = [g.tracking_number for g in [*cases, other]]
    assert client.post("/staff/queue/acknowledge", {"case": numbers}).status_code == 302
    for grievance in [*cases, other]:
        session.refresh(grievance)
    assert [g.status for g in cases] == [Status.ACKNOWLEDGED] * 2 and other.status is Status.ROUTED


def test_a_refusal_is_explained_in_the_users_language(staff_client, session, routed_case, officer):
    grievance = routed_case()
    client = staff_client(officer)
    client.post("/staff/language", {"language": "bn"})
    act(client, grievance, "resolve", note="paid")
    response = act(client, grievance, "acknowledge")  # a resolved complaint cannot be acknowledged
    assert "তাই এটি করা যায় না" in client.get(response.location).get_data(as_text=True)
    response = act(client, grievance, "nonsense")
    assert response.status_code == 303


def test_a_note_from_the_also_concerned_ministry_is_audited_and_stays_internal(
    staff_client, session, routed_case, no_dispatch
):
    grievance = routed_case()  # MOSW leads, the Finance Division is also concerned
    finance = make_staff(session, "officer", ministry_code="FD")
    session.commit()
    client = staff_client(finance)
    assert act(client, grievance, "note", note="G2P: returned by the wallet").status_code == 303
    assert act(client, grievance, "resolve", note="paid").status_code == 403
    assert audited(session, grievance) == ["note"]
    session.refresh(grievance)
    assert grievance.status is Status.ROUTED and grievance.events[-1].actor == f"staff:{finance.id}"
    deliver_complaint_updates(grievance.id)
    # Filing told the citizen twice; the note is internal.
    assert session.scalars(select(Message.template).order_by(Message.id)).all() == [
        "complaint_received",
        "complaint_routed",
    ]


def test_a_nul_byte_in_a_form_is_no_500(staff_client, session, routed_case, officer):
    # PostgreSQL refuses NUL in text: a note or a ministry code carrying one was a 500 there.
    grievance = routed_case()
    client = staff_client(officer)
    assert act(client, grievance, "note", note="called\x00 the union").status_code == 303
    assert act(client, grievance, "transfer", to="MO\x00FOOD", note="food card").status_code == 303
    assert client.post("/staff/queue/acknowledge", {"case": ["\x00"]}).status_code == 302
    session.refresh(grievance)
    assert (grievance.ministry_code, grievance.status) == ("MOSW", Status.ROUTED)
    assert grievance.events[-1].note == "called the union"


def test_a_case_number_in_bengali_digits_opens_the_case_and_nonsense_is_404(
    staff_client, session, routed_case, officer
):
    grievance = routed_case()
    client = staff_client(officer)
    bengali = grievance.tracking_number.translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯"))
    assert client.get(f"/staff/cases/{bengali}").status_code == 200
    for number in ("%00", f"{grievance.tracking_number}%00", "9" * 5000, "١٢٣"):
        assert client.get(f"/staff/cases/{number}").status_code == 404, number[:20]
