"""The same journey on every dialect, in Bangla, English and romanized Bangla."""

import itertools

import pytest

from registry.models import Language
from tests.helpers import drain
from tests.ussd_app.gateways.test_bdapps import Platform

_ids = itertools.count(1)
JOURNEY = ["2", "0", "3", "00"]  # payments, back, e-tokens, main menu
EXPECTED = {  # what each screen of the journey starts with, per locale
    "bn": ["সহায়তা\n১ আমি কি যোগ্য?", "বয়স্ক ভাতা: ৬০০ টাকা", "সহায়তা\n১ ", "খাদ্যবান্ধব: ৩০ কেজি চাল", "সহায়তা\n১ "],
    "en": [
        "Sahayata\n1 Am I eligible?",
        "Old Age Allowance: Tk 600",
        "Sahayata\n1 ",
        "Food Friendly: 30 kg rice",
        "Sahayata\n1 ",
    ],
    "bn_Latn": [
        "Sohayota\n1 Ami ki joggo?",
        "Boyosko bhata: 600 taka",
        "Sohayota\n1 ",
        "Khaddobandhob: 30 kg chal",
        "Sohayota\n1 ",
    ],
}


class AfricasTalking:
    def __init__(self, client, app, mobile):
        self.client, self.mobile, self.history = client, mobile, []
        self.session = f"all-{next(_ids)}"

    def send(self, text):
        if text is not None:
            self.history.append(text)
        data = {"sessionId": self.session, "phoneNumber": self.mobile, "text": "*".join(self.history)}
        return self.client.post("/ussd/africastalking", data=data).get_data(as_text=True)[4:]


class Hubtel:
    def __init__(self, client, app, mobile):
        self.client, self.mobile, self.sequence = client, mobile, 0
        self.session = f"all-{next(_ids)}"

    def send(self, text):
        self.sequence += 1
        kind = "Initiation" if text is None else "Response"
        return self.client.post(
            "/ussd/hubtel",
            json={
                "Type": kind,
                "Mobile": self.mobile,
                "SessionId": self.session,
                "ServiceCode": "*123#",
                "Message": text or "*123#",
                "Operator": "gp",
                "Sequence": self.sequence,
            },
        ).get_json()["Message"]


class Bdapps:
    def __init__(self, client, app, mobile):
        self.client, self.app, self.mobile, self.requests = client, app, mobile, 0
        self.session = f"all-{next(_ids)}"
        self.platform = Platform()
        app.config["BDAPPS_USSD_SEND_URL"] = self.platform.url

    def send(self, text):
        self.requests += 1
        self.client.post(
            "/ussd/bdapps",
            json={
                "message": text or "*123#",
                "ussdOperation": "mo-init" if text is None else "mo-cont",
                "sessionId": self.session,
                "sourceAddress": "tel:" + self.mobile.removeprefix("+"),
                "requestId": str(self.requests),
            },
        )
        drain(self.app)
        return self.platform.received[-1]["message"]


@pytest.mark.parametrize("dialect", [AfricasTalking, Hubtel, Bdapps], ids=["africastalking", "hubtel", "bdapps"])
@pytest.mark.parametrize("language", ["bn", "en"])
def test_journey(app, client, session, caller, dialect, language):
    caller.language = Language(language)
    session.commit()
    phone = dialect(client, app, caller.mobile)
    locale = "bn_Latn" if (dialect is Bdapps and language == "bn") else language
    screens = [phone.send(None)] + [phone.send(key) for key in JOURNEY]
    for screen, expected in zip(screens, EXPECTED[locale], strict=True):
        assert screen.startswith(expected), (locale, screen)
    if locale != "bn":
        assert all(screen.isascii() for screen in screens)


@pytest.mark.parametrize("dialect", [AfricasTalking, Hubtel, Bdapps], ids=["africastalking", "hubtel", "bdapps"])
def test_complaint_filed_on_every_dialect_is_routed_with_a_deadline(app, client, session, caller, dialect):
    from sqlalchemy import select

    from grievance.models import Grievance, Status

    phone = dialect(client, app, caller.mobile)
    phone.send(None)
    for key in ("4", "1", "2", "1"):  # complaint, payment not received, her first programme, no text
        phone.send(key)
    end = phone.send("1")  # send
    assert any(word in end for word in ("অভিযোগ গৃহীত", "Complaint received", "Obhijog grihito"))
    drain(app)
    session.expire_all()
    grievance = session.scalar(select(Grievance))
    assert grievance.status is Status.ROUTED and grievance.ministry_code in {"MOSW", "MOFOOD"}
    assert grievance.also_ministry_code == "FD" and grievance.office_level == "upazila"
    assert grievance.due_at is not None
