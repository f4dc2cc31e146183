"""Participant CSV import: the service's rules, then the organisers' list and import pages."""

import re

import pytest
from django_tenants.utils import tenant_context

from core.errors import DomainError
from engagement.models import Participant, Team
from engagement.services.participants import MAX_ROWS, participants_import, upload_decode

from ..conftest import tenant_client

GOOD = ("\ufeffemail;first_name;last_name;team;site;postcode;age_band;language;consent\r\n"
        "ana@example.test;Ana;;Sales;Lyon;69001;25-34;EN;oui\r\n"
        "known@example.test;;Dupont;;;;;;no\r\n")


def errors_of(report) -> set[tuple[int, str | None]]:
    return {(error.line, error.column) for error in report.errors}


@pytest.mark.django_db
def test_dry_run_counts_what_would_happen_and_writes_nothing(org_a):
    with tenant_context(org_a):
        Participant.objects.create(email="Known@Example.test", first_name="Kim")
        report = participants_import(text=GOOD, consent_collected=True)
        assert report.dry_run and not report.imported
        assert (report.rows, report.created, report.updated, report.errors) == (2, 1, 1, [])
        assert Participant.objects.count() == 1


@pytest.mark.django_db
def test_import_creates_new_people_and_completes_known_ones(org_a):
    with tenant_context(org_a):
        known = Participant.objects.create(email="Known@Example.test", first_name="Kim",
                                           consent_to_contact=True)
        report = participants_import(text=GOOD, dry_run=False, consent_collected=True)
        assert report.imported and (report.created, report.updated) == (1, 1)
        ana = Participant.objects.get(email="ana@example.test")
        assert (ana.first_name, ana.team.name, ana.site, ana.postcode, ana.age_band,
                ana.language, ana.consent_to_contact, ana.source) == (
            "Ana", "Sales", "Lyon", "69001", "25-34", "en", True, Participant.Source.IMPORT)
        known.refresh_from_db()
        # Empty cells keep what is known; given ones (the name) are written. A "no" never
        # withdraws a consent: only the person may (tests/engagement/test_consent.py).
        assert (known.first_name, known.last_name, known.consent_to_contact) == (
            "Kim", "Dupont", True)
        assert Participant.objects.count() == 2


@pytest.mark.django_db
def test_one_bad_row_imports_nothing(org_a):
    text = "email,first_name\nana@example.test,Ana\nnot-an-address,Bob\ncyd@example.test,Cyd\n"
    with tenant_context(org_a):
        report = participants_import(text=text, dry_run=False)
        assert not report.imported
        assert errors_of(report) == {(3, "email")}
        assert "not-an-address" in report.errors[0].message
        assert (report.rows, report.valid_rows, report.created) == (3, 2, 2)
        assert not Participant.objects.exists()


@pytest.mark.django_db
def test_only_valid_imports_the_good_rows(org_a):
    text = "email,first_name\nana@example.test,Ana\nnot-an-address,Bob\ncyd@example.test,Cyd\n"
    with tenant_context(org_a):
        report = participants_import(text=text, dry_run=False, only_valid=True)
        assert report.imported and report.created == 2
        assert errors_of(report) == {(3, "email")}
        assert sorted(Participant.objects.values_list("email", flat=True)) == [
            "ana@example.test", "cyd@example.test"]


@pytest.mark.django_db
def test_duplicate_addresses_in_the_file_are_errors(org_a):
    text = "email\nana@example.test\nbob@example.test\nANA@Example.TEST\n"
    with tenant_context(org_a):
        report = participants_import(text=text)
        assert errors_of(report) == {(4, "email")}
        assert "line 2" in report.errors[0].message
        assert report.created == 2  # the first occurrence is valid


@pytest.mark.django_db
def test_each_bad_value_is_named_by_line_and_column(org_a):
    text = ("email,first_name,language,consent,team\n"
            ",Nobody,fr,yes,\n"
            "bob@example.test,Bob,de,maybe,\n"
            f"cyd@example.test,{'C' * 101},en,1,{'T' * 101}\n"
            "\n"  # blank lines are skipped, but they count in line numbers
            "dan@example.test,Dan,fr,non,,surplus\n"
            'eve@example.test,"Eve\nMarie",fr,0,\n'
            "fay@example.test,Fay,xx,,\n")
    with tenant_context(org_a):
        report = participants_import(text=text, dry_run=False, only_valid=True,
                                     consent_collected=True)
        assert errors_of(report) == {(2, "email"), (3, "language"), (3, "consent"),
                                     (4, "first_name"), (4, "team"), (6, None),
                                     (9, "language")}
        messages = {(error.line, error.column): error.message for error in report.errors}
        assert "missing" in messages[2, "email"]
        assert "“de”" in messages[3, "language"] and "fr" in messages[3, "language"]
        assert "maybe" in messages[3, "consent"]
        assert "100 characters" in messages[4, "first_name"]
        assert "6 values" in messages[6, None]
        # Only Eve's row (a quoted name over two lines) was good.
        assert list(Participant.objects.values_list("first_name", flat=True)) == [
            "Eve\nMarie"]


@pytest.mark.django_db
def test_files_that_cannot_be_read_are_refused_whole(org_a):
    refusals = {
        "": "empty",
        "first_name\nAna\n": "no “email” column",
        "email,phone\na@example.test,06\n": "Unknown column(s): phone",
        "email,Email\na@example.test,b@example.test\n": "given twice",
        "email\n" + "".join(f"p{n}@example.test\n" for n in range(MAX_ROWS + 1)):
            "more than 20,000 rows",
    }
    with tenant_context(org_a):
        for text, message in refusals.items():
            with pytest.raises(DomainError) as refused:
                participants_import(text=text, only_valid=True)
            assert message in " ".join(refused.value.errors["csv"]), text[:30]
        # Spreadsheet headers are understood; exactly the maximum is accepted.
        report = participants_import(text="E-mail,First name\n" + "".join(
            f"p{n}@example.test,P\n" for n in range(MAX_ROWS)))
        assert report.rows == MAX_ROWS and not report.errors


def test_uploads_must_be_utf8():
    assert upload_decode(data="\ufeffemail\né@example.test".encode()) == \
        "email\né@example.test"
    with pytest.raises(DomainError) as refused:
        upload_decode(data="email\né@example.test".encode("latin-1"))
    assert "UTF-8" in refused.value.errors["csv"][0]


# ---- pages --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_who_may_see_the_list_and_the_import(org_a, owner_b, viewer_a):
    assert tenant_client(org_a).get("/participants/").status_code == 302  # log in first
    outsider = tenant_client(org_a, owner_b)
    assert outsider.get("/participants/").status_code == 404
    assert outsider.get("/participants/import/").status_code == 404
    viewer = tenant_client(org_a, viewer_a)
    page = viewer.get("/participants/")
    assert page.status_code == 200
    assert "/participants/import/" not in page.content.decode()
    assert viewer.get("/participants/import/").status_code == 404
    assert viewer.post("/participants/import/", {"text": GOOD}).status_code == 404


@pytest.mark.django_db
def test_list_searches_filters_and_pages(org_a, viewer_a):
    with tenant_context(org_a):
        sales = Team.objects.create(name="Sales")
        Participant.objects.bulk_create(
            # They agreed to be contacted, so a viewer reads their addresses.
            Participant(email=f"p{n:02}@example.test", first_name="Pat", last_name=f"N{n}",
                        site="Lyon" if n % 2 else "Paris", team=sales if n < 5 else None,
                        consent_to_contact=True)
            for n in range(60))
        Participant.objects.create(email="ana.dupont@example.test", first_name="Ana",
                                   last_name="Dupont", consent_to_contact=True)
    client = tenant_client(org_a, viewer_a)

    def emails(query: str) -> list[str]:
        response = client.get(f"/participants/{query}")
        assert response.status_code == 200
        return re.findall(r"<td>([\w.]+@example\.test)</td>", response.content.decode())

    assert len(emails("")) == 50
    # Ordered by address: ana.dupont first, so page 2 starts at p49.
    assert emails("?page=2") == [f"p{n:02}@example.test" for n in range(49, 60)]
    assert emails("?q=ana+dupont") == ["ana.dupont@example.test"]
    assert emails(f"?team={sales.pk}") == [f"p{n:02}@example.test" for n in range(5)]
    assert emails(f"?team={sales.pk}&site=Lyon") == ["p01@example.test", "p03@example.test"]
    assert len(emails("?site=Paris")) == 30
    assert "Page 1 of 2" in client.get("/participants/").content.decode()


# The import page's steps (check, progress, confirmation): tests/engagement/test_import_jobs.py.
