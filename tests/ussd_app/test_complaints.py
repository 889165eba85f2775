"""Filing a complaint and asking for its status by USSD."""

from sqlalchemy import select

from foundation.i18n import to_ascii_digits, translate
from grievance.models import Category, Grievance


def file(phone, category_key="1", programme_key="2", text="1"):
    phone.dial()
    phone.press("4")  # Make a complaint
    phone.press(category_key)
    phone.press(programme_key)
    confirm = phone.press(text)
    return confirm, phone.press("1")


def test_complaint_is_filed_and_the_number_shown_in_bengali_digits(phone, session, caller):
    confirm, done = file(phone)
    label = translate("bn", "Payment not received")
    assert confirm.startswith(f"CON {label}। {translate('bn', 'Send?')}\n১ {translate('bn', 'Send')}\n২ ")
    assert done.startswith("END অভিযোগ গৃহীত। নম্বর ")
    grievance = session.scalar(select(Grievance))
    assert to_ascii_digits(done.split("নম্বর ")[1].split("।")[0]) == grievance.tracking_number
    assert grievance.category is Category.PAYMENT_NOT_RECEIVED and grievance.citizen_id == caller.id
    assert grievance.programme_code in {"FFP", "OAA"}  # her own programmes are offered first


def test_filing_twice_the_same_day_returns_the_same_number(phone, session):
    file(phone)
    _, second = file(phone)
    number = session.scalar(select(Grievance.tracking_number))
    assert "আগেই করেছেন" in second and to_ascii_digits(number) in to_ascii_digits(second)
    assert len(session.scalars(select(Grievance)).all()) == 1


def test_status_by_number_and_a_mistyped_number_is_refused(phone, session):
    file(phone, text="no money")
    number = session.scalar(select(Grievance.tracking_number))
    phone.dial()
    phone.press("5")  # Complaint status
    i = next(i for i in range(len(number) - 1) if number[i] != number[i + 1])
    swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]  # a classic keypad slip
    assert phone.press(swapped).startswith("CON নম্বরটি সঠিক নয়।")
    status = phone.press(number)
    # Routed at once when jobs run inline, still "received" until a worker takes it otherwise.
    current = session.scalar(select(Grievance.status))
    label = {"received": "গৃহীত", "routed": "অফিসে পাঠানো হয়েছে"}[current.value]
    assert status.startswith(f"CON অভিযোগ {''.join('০১২৩৪৫৬৭৮৯'[int(d)] for d in number)}: {label}।")


def test_an_unregistered_phone_can_complain(stranger, session):
    stranger.dial()
    stranger.press("3")  # Make a complaint (unregistered menu)
    stranger.press("2")  # Paid less than due
    page = stranger.press("98")
    while "\n৯৮ " in page:
        page = stranger.press("98")
    stranger.choose(translate("bn", "Not about a programme"), page)  # the last option
    stranger.press("1")
    assert stranger.press("1").startswith("END অভিযোগ গৃহীত।")
    grievance = session.scalar(select(Grievance))
    assert grievance.citizen_id is None and grievance.programme_code is None
