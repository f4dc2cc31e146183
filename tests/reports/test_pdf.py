"""The PDF impact report: what a reader finds in it, in French and English, what paid
options add, and that rendering fetches nothing but the project's own files."""

from __future__ import annotations

import http.server
import re
import threading
import zlib
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django_tenants.utils import tenant_context

from billing.models import Subscription
from engagement.models import (
    Campaign,
    ImpactRecord,
    Invitation,
    Programme,
    ProgrammeIndicator,
    ProgrammeSurveyQuestion,
    SurveyAnswer,
    Team,
)
from reports import pdf
from reports.models import Commentary, Report
from reports.services import commentary_save, report_render, report_request

from ..conftest import free_port
from ..factories import (
    CampaignFactory,
    ParticipantFactory,
    PledgeFactory,
    ProgrammeFactory,
    SlotFactory,
)

PARIS = ZoneInfo("Europe/Paris")
DAY = datetime(2026, 5, 16, 9, 0, tzinfo=PARIS)


# --- Reading a PDF's text (no PDF library in the project: enough of the format for the
# --- PDFs WeasyPrint writes: object streams, Flate, Type 0 fonts with a ToUnicode map).

def _objects(data: bytes) -> dict[int, bytes]:
    objects = {int(m[1]): m[2] for m in re.finditer(rb"(\d+) 0 obj(.*?)endobj", data, re.S)}
    for body in list(objects.values()):
        if b"/ObjStm" not in body:
            continue
        content = _stream(body)
        first = int(re.search(rb"/First (\d+)", body)[1])
        header = [int(n) for n in content[:first].split()]
        pairs = list(zip(header[::2], header[1::2], strict=True))
        for index, (number, offset) in enumerate(pairs):
            end = pairs[index + 1][1] if index + 1 < len(pairs) else len(content) - first
            objects[number] = content[first + offset:first + end]
    return objects


def _stream(body: bytes) -> bytes:
    match = re.search(rb"stream\r?\n(.*)\r?\nendstream", body, re.S)
    if match is None:
        return b""
    raw = match[1]
    return zlib.decompress(raw) if b"/FlateDecode" in body[:match.start()] else raw


def pdf_text(data: bytes) -> str:
    """The text drawn in a PDF, lines joined by spaces, whitespace collapsed."""
    objects = _objects(data)
    # WeasyPrint names each font resource after its subset tag ("/ABCDEF+DejaVu-Sans").
    fonts: dict[bytes, dict[int, str]] = {}
    for body in objects.values():
        font = re.search(rb"/BaseFont /([A-Z]+)\+\S*?/ToUnicode (\d+) 0 R", body)
        if font:
            cmap = _stream(objects[int(font[2])]).split(b"endcodespacerange")[1]
            fonts[font[1]] = {
                int(glyph, 16): bytes.fromhex(text.decode()).decode("utf-16-be")
                for glyph, text in re.findall(rb"<([0-9a-f]+)> <([0-9a-f]*)>", cmap)}
    text: list[str] = []
    for body in objects.values():
        if b"/Length" not in body or b"/ObjStm" in body or b"BT" not in _stream(body):
            continue
        glyphs: dict[int, str] = {}
        for token in re.finditer(rb"/([^\s/<>\[\]]+)\s+[\d.]+\s+Tf|\[(.*?)\]\s*TJ"
                                 rb"|<([0-9a-f]+)>\s*Tj|(ET)", _stream(body), re.S):
            if token[1]:
                glyphs = fonts.get(token[1], {})
            elif token[4]:
                text.append(" ")
            else:
                for chunk in re.findall(rb"<([0-9a-f]+)>", token[2] or b"<" + token[3] + b">"):
                    size = 4 if len(chunk) % 4 == 0 else 2
                    text += [glyphs.get(int(chunk[i:i + size], 16), "")
                             for i in range(0, len(chunk), size)]
    return re.sub(r"\s+", " ", "".join(text).replace("\u202f", " ").replace("\xa0", " "))


# --- Data: a programme with two completed campaigns, as organisers leave it.

def build_programme(*, title: str = "Green Lyon", description: str = "") -> Programme:
    programme = ProgrammeFactory(name=title, starts_on=date(2026, 1, 1),
                                 ends_on=date(2026, 12, 31))
    waste = ProgrammeIndicator.objects.create(
        programme=programme, code="waste_collected_kg", position=0, unit="kg",
        label_fr="Déchets ramassés", label_en="Waste collected", sdg=12)
    trees = ProgrammeIndicator.objects.create(
        programme=programme, code="trees_planted", position=1, unit="",
        label_fr="Arbres plantés", label_en="Trees planted", sdg=15)
    scale = ProgrammeSurveyQuestion.objects.create(
        programme=programme, moment="after_action", position=0, kind="scale",
        text_fr="Votre note ?", text_en="Your rating?")
    again = ProgrammeSurveyQuestion.objects.create(
        programme=programme, moment="after_action", position=1, kind="yes_no",
        text_fr="Reviendrez-vous ?", text_en="Will you come again?")
    words = ProgrammeSurveyQuestion.objects.create(
        programme=programme, moment="after_action", position=2, kind="text",
        text_fr="Un mot ?", text_en="A word?")
    team = Team.objects.create(name=f"Logistics {title}")
    people = [ParticipantFactory(email=f"p{n}.{programme.pk}@example.test",
                                 first_name=f"Secretname{n}", team=team)
              for n in range(8)]
    for index, (campaign_title, kilos, planted) in enumerate(
            [("Beach clean-up", "120.50", 0), ("Tree planting", "0", 35)]):
        start = DAY + timedelta(days=7 * index)
        campaign = CampaignFactory(
            programme=programme, title=campaign_title, description=description,
            starts_at=start, participant_target=10,
            mobilisation_deadline=start - timedelta(days=2),
            status=Campaign.Status.COMPLETED, place="Lyon")
        slot = SlotFactory(campaign=campaign, capacity=20)
        for n, person in enumerate(people[:7]):
            invitation = Invitation.objects.create(
                campaign=campaign, inviter=people[7], channel="email",
                lever_code="personal_invitation", invitee_email=person.email)
            attended = n < 6
            PledgeFactory(
                slot=slot, participant=person, invitation=invitation,
                attendance="attended" if attended else "no_show",
                hours_given=Decimal(3) if attended else 0)
        slot.confirmed_seats = 7
        slot.save(update_fields=["confirmed_seats"])
        if Decimal(kilos):
            ImpactRecord.objects.create(campaign=campaign, indicator=waste,
                                        value=Decimal(kilos))
        if planted:
            ImpactRecord.objects.create(campaign=campaign, indicator=trees, value=planted)
        for n, person in enumerate(people[:3]):
            SurveyAnswer.objects.create(participant=person, campaign=campaign,
                                        question=scale, answer=str(3 + n))
            SurveyAnswer.objects.create(participant=person, campaign=campaign,
                                        question=again, answer="no" if n == 0 else "yes")
            SurveyAnswer.objects.create(participant=person, campaign=campaign,
                                        question=words, answer=f"Secretword{n}")
    return programme


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Reports are written under a temporary media folder, per organisation."""
    settings.MEDIA_ROOT = tmp_path
    # django-tenants' storage caches its root until this setting changes.
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
    return tmp_path


def rendered(report: Report) -> str:
    report = report_render(report_id=report.pk)
    assert report.status == "ready", report.error
    with report.file.open("rb") as file:
        data = file.read()
    assert data.startswith(b"%PDF-")
    return pdf_text(data)


@pytest.mark.django_db
def test_programme_report_in_english_has_figures_impact_levers_survey_and_commentary(
        org_a, owner_a, media):
    with tenant_context(org_a):
        programme = build_programme()
        commentary_save(scope="programme", subject_key=f"programme:{programme.pk}",
                        section="recommendations", user=owner_a,
                        text="Keep the **Saturday** slots.")
        report = report_request(scope="programme", programme=programme, language="en",
                                user=owner_a)
        text = rendered(report)
        report.refresh_from_db()
        assert report.file.path == str(media / org_a.schema_name / "reports" /
                                       f"report-{report.pk}.pdf")

    assert report.pages >= 6
    assert "Test Company" in text and "Impact report: Green Lyon" in text
    # Table of contents with page numbers, and page numbers in the footer.
    assert re.search(r"Key figures [ .]+ 3 Impact", text), text[:600]
    assert f"3 / {report.pages}" in text
    # Key figures: 7 people, 7 × 2 campaigns × 3 h pledged, 6 × 2 × 3 h given.
    assert "7 people mobilised" in text
    assert "42 hours pledged" in text and "36 hours given (people who came)" in text
    assert ("86% attendance: 12 of 14 pledges whose action is over or checked in"
            in text)
    assert "2 / 2 campaigns that reached their target" in text
    # Impact with its SDG, by name.
    assert "Waste collected 120.5 kg 12 Responsible consumption and production" in text
    assert "Trees planted 35 15 Life on land" in text
    # Levers: one lever, the only team has 7 people (at least five).
    assert "Personal invitation" in text and "Logistics Green Lyon 14 14 12" in text
    # Survey: aggregates only, never a name or a written answer.
    assert "Your rating? 6 4 / 5 on average" in text
    assert "Will you come again? 6 67% yes" in text
    assert "A word? 6 6 written answers" in text
    assert "Secretname" not in text and "Secretword" not in text
    # The commented-report option is on: the consultant's text, from Markdown.
    assert "Consultant's commentary" in text and "Keep the Saturday slots." in text
    # One page per campaign.
    assert "Beach clean-up" in text and "Tree planting" in text


@pytest.mark.django_db
def test_campaign_report_in_french(org_a, owner_a):
    with tenant_context(org_a):
        programme = build_programme(title="Lyon vert")
        campaign = programme.campaigns.get(title="Beach clean-up")
        text = rendered(report_request(scope="campaign", campaign=campaign, language="fr",
                                       user=owner_a))

    # Numbers, dates, the SDGs, the methodology's words and the survey in French.
    assert "16 mai 2026 · Lyon · Terminée" in text
    assert "Déchets ramassés 120,5 kg 12 Consommation et production responsables" in text
    assert "Arbres plantés 0 15 Vie terrestre" in text
    assert "Invitation personnelle (levier) Logistics Lyon vert 7 7 6 100 %" in text
    assert "Votre note ? 3 4 / 5" in text and "Reviendrez-vous ? 3 67 %" in text
    assert "Waste collected" not in text and "Responsible consumption" not in text


@pytest.mark.django_db
def test_period_report_covers_the_campaigns_of_the_period(org_a, owner_a):
    with tenant_context(org_a):
        build_programme()
        text = rendered(report_request(
            scope="period", period_start=date(2026, 5, 20), period_end=date(2026, 5, 31),
            language="en", user=owner_a))
    assert "Tree planting" in text and "Beach clean-up" not in text
    assert "Trees planted 35 15 Life on land" in text


@pytest.mark.django_db
def test_without_the_options_no_commentary_and_no_branding(org_a, owner_a):
    Subscription.objects.filter(organisation=org_a).update(options=[])
    with tenant_context(org_a):
        programme = build_programme()
        Commentary.objects.create(scope="programme", subject_key=f"programme:{programme.pk}",
                                  section="summary", text="Secret advice")
        html = pdf.report_html(report_request(scope="programme", programme=programme,
                                              language="en", user=owner_a))
    assert "Secret advice" not in html and "Consultant" not in html
    assert "--brand: #1d6f42;" in html and "<img" not in html


class _Listener(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 - the standard library's name
        self.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def listener():
    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Listener)
    _Listener.requests = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield port, _Listener.requests
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
def test_user_text_cannot_make_the_renderer_fetch_anything(org_a, owner_a, listener):
    port, requests = listener
    hostile = (f'<img src="http://127.0.0.1:{port}/x.png"> ![x](http://127.0.0.1:{port}/m.png)'
               f' <img src="file:///etc/passwd"> [p](file:///etc/passwd)')
    with tenant_context(org_a):
        programme = build_programme(description=hostile)
        commentary_save(scope="programme", subject_key=f"programme:{programme.pk}",
                        section="summary", text=hostile, user=owner_a)
        text = rendered(report_request(scope="programme", programme=programme,
                                       language="en", user=owner_a))
        # The same URLs straight in the HTML, as if the Markdown cleaning ever let one by.
        data, _pages = pdf.render_html(
            f'<html lang="en"><head><title>t</title>'
            f'<link rel="stylesheet" href="http://127.0.0.1:{port}/s.css"></head><body>'
            f'<p>Hello</p><img src="http://127.0.0.1:{port}/direct.png" alt="">'
            f'<img src="file:///etc/passwd" alt=""><object data="file:///etc/passwd"></object>'
            f'<img src="/static/../../../../etc/passwd" alt="">'
            f'<iframe src="file:///etc/passwd"></iframe></body></html>',
            schema_name=org_a.schema_name)
    assert requests == []
    for content in (text, pdf_text(data)):
        assert "root:x:" not in content and "/bin/" not in content
    assert b"/bin/" not in data and "Hello" in pdf_text(data)


@pytest.mark.django_db
def test_the_fetcher_serves_only_static_and_this_organisations_media(org_a, org_b,
                                                                     listener, media):
    port, requests = listener
    fetcher = pdf.ReportURLFetcher(schema_name=org_a.schema_name)
    own = media / org_a.schema_name / "branding" / "test-logo.txt"
    other = media / org_b.schema_name / "branding" / "test-logo.txt"
    for path in (own, other):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"logo of {path.parent.parent.name}")
    served = fetcher.fetch(f"{pdf.BASE_URL}media/{org_a.schema_name}/branding/test-logo.txt")
    assert served.read() == f"logo of {org_a.schema_name}".encode()
    assert fetcher.fetch(f"{pdf.BASE_URL}static/css/fullmobs.css").read().startswith(
        b"/* Fullmobs")
    assert fetcher.fetch("data:text/plain,hi").read() == b"hi"
    refused = [
        f"http://127.0.0.1:{port}/x.png",
        f"https://127.0.0.1:{port}/x.png",
        "file:///etc/passwd",
        f"file://{other}",
        f"{pdf.BASE_URL}media/{org_b.schema_name}/branding/test-logo.txt",
        f"{pdf.BASE_URL}media/{org_a.schema_name}/../{org_b.schema_name}/branding/"
        "test-logo.txt",
        f"{pdf.BASE_URL}media/{org_a.schema_name}/%2e%2e/{org_b.schema_name}/branding/"
        "test-logo.txt",
        f"{pdf.BASE_URL}static/../../../../etc/passwd",
        f"{pdf.BASE_URL}static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        f"http://report.fullmobs.invalid.127.0.0.1.nip.io:{port}/static/css/fullmobs.css",
        "ftp://127.0.0.1/x",
    ]
    for url in refused:
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)
    assert requests == []
