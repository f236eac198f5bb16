"""Upwork's archived job RSS feeds: parsed field by field, imported through the pipelines,
dated by the feed, never imported twice. Files: tests/fixtures/upwork/ (real, July 2024)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import polars as pl
import pytest

from olmstats import scan_jobs
from olmstats.platforms.upwork.parse import is_upwork, job_from_item, read_feed
from olmstats.store import check_store
from tests.conftest import ROOT, run_olm
from tests.test_cli import one_line_error

FEEDS = ROOT / "tests" / "fixtures" / "upwork"
NOW = datetime(2024, 7, 19, 5, 16, 1, tzinfo=UTC)
# (hourly ranges, budgets, countries, items) per file, from tests/fixtures/upwork/SOURCE.md
COUNTS = {
    "rss_java-us.xml": (14, 8, 30, 30),
    "rss_java.xml": (10, 11, 30, 30),
    "rss_javafx.xml": (1, 2, 10, 10),
    "rss_swing.xml": (2, 4, 7, 7),
}


def items(name: str):
    feed = read_feed((FEEDS / name).read_bytes())
    return feed, [job_from_item(i, feed, observed_at=NOW, run_id="r") for i in feed.items]


def test_the_first_two_jobs_of_the_java_feed_field_by_field():
    feed, jobs = items("rss_java.xml")
    assert is_upwork(feed) and feed.title == "All Java - Payment verified jobs | upwork.com"
    assert feed.fetched_at == datetime(2024, 7, 19, 5, 16, 1, tzinfo=UTC)  # Fri, 19 Jul 05:16:01
    first, second = jobs[0], jobs[1]
    assert first.native_id == "018036c463e1d2651e"  # …_%7E018036c463e1d2651e?source=rss
    assert (first.job_type, first.budget_min, first.budget_max) == ("hourly", 30.0, 54.0)
    # "Posted On: July 19, 2024 04:41 UTC", the item's pubDate Fri, 19 Jul 2024 04:41:34
    assert first.posted_at == datetime(2024, 7, 19, 4, 41, 34, tzinfo=UTC)
    assert first.employer_country_name_raw == "United States"
    assert [s["name"] for s in first.skills_raw] == [
        "Java",
        "Kotlin",
        "Android",
        "Android App Development",
        "Smartphone",
    ]
    assert first.skills_raw[3]["id"] == "android-app-development"
    assert first.skills_raw[0]["category"] == "Mobile App Development"
    assert second.native_id == "019532fc367102fa30"
    assert (second.job_type, second.budget_min, second.budget_max) == ("fixed", 20.0, 20.0)
    assert second.posted_at == datetime(2024, 7, 19, 4, 10, 54, tzinfo=UTC)  # pubDate 04:10:54
    assert second.employer_country_name_raw == "USA"
    assert first.currency == second.currency == "USD"
    assert first.extras == [
        {"key": "feed", "number": None, "text": "All Java - Payment verified jobs | upwork.com"}
    ]


def test_the_posting_time_takes_pubdate_only_inside_the_posted_on_minute():
    from olmstats.platforms.upwork.parse import posting_time

    on = "July 19, 2024 04:41 UTC"
    inside, later = "Fri, 19 Jul 2024 04:41:34 +0000", "Fri, 19 Jul 2024 06:02:10 +0000"
    unparsed: dict[str, str] = {}
    assert posting_time(on, inside, unparsed) == datetime(2024, 7, 19, 4, 41, 34, tzinfo=UTC)
    assert posting_time(on, later, unparsed) == datetime(2024, 7, 19, 4, 41, tzinfo=UTC)
    assert posting_time(None, later, unparsed) == datetime(2024, 7, 19, 6, 2, 10, tzinfo=UTC)
    assert posting_time("yesterday", "not a date", unparsed) is None
    assert unparsed == {"posted_at": "yesterday"}


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_every_feed_matches_the_counts_read_off_it(name):
    hourly, budgets, countries, n = COUNTS[name]
    _, jobs = items(name)
    assert len(jobs) == n
    assert sum(j.job_type == "fixed" for j in jobs) == budgets
    assert sum(j.job_type == "hourly" and j.budget_min is not None for j in jobs) == hourly
    assert sum(j.employer_country_name_raw is not None for j in jobs) == countries
    assert all(j.posted_at is not None and j.posted_at <= NOW for j in jobs)
    assert all(j.native_id and j.native_id.isalnum() for j in jobs)


@pytest.mark.slow
def test_import_dates_rows_by_the_feed_and_never_twice(tmp_path):
    files = [str(FEEDS / n) for n in sorted(COUNTS)]
    first = run_olm("import", "upwork-rss", *files, "--store", str(tmp_path))
    assert first.returncode == 0, first.stderr
    assert first.stderr.count(": complete — ") == 4
    jobs = scan_jobs(tmp_path).collect()
    assert jobs["snapshot_date"].unique().to_list() == [date(2024, 7, 19)]  # not today
    assert (jobs["platform"] == "upwork").all()
    # 77 items in four feeds; the Java feeds overlap, so one snapshot holds fewer jobs
    records = [json.loads(p.read_text()) for p in (tmp_path / "runs").glob("*.json")]
    assert sum(r["items_kept"]["jobs"] for r in records) == 77
    assert jobs.height == len({j.native_id for n in COUNTS for j in items(n)[1]})
    sha = {r["sources"][0]["file"].rsplit("/", 1)[1]: r["sources"][0]["sha256"] for r in records}
    assert sha["rss_java.xml"].startswith("73911947") and sha["rss_java.xml"].endswith("490e")
    assert sha["rss_swing.xml"].startswith("5ea0e7ae") and sha["rss_swing.xml"].endswith("6d2e")
    assert all(r["data_origin"] == "platform (archived file)" for r in records)
    assert jobs.filter(pl.col("employer_country").is_null()).height == 0
    assert set(jobs["employer_country"]) >= {"US", "IN", "PK", "BD"}
    assert jobs.filter(pl.col("job_type") == "fixed")["fx_source"].unique().to_list() == [
        "identity"
    ]
    # no free text is stored: no title, no line of any description
    texts = {
        v
        for column in jobs.select(pl.col(pl.String)).columns
        for v in jobs[column].drop_nulls().to_list()
    }
    for name in COUNTS:
        feed, _ = items(name)
        for entry in feed.items:
            title = entry.findtext("title")
            opening = (entry.findtext("description") or "")[:60]
            assert title not in texts and not any(opening in t for t in texts if len(t) > 20)
    again = run_olm("import", "upwork-rss", files[1], "--store", str(tmp_path))
    assert again.returncode == 0 and "already imported" in again.stderr
    assert scan_jobs(tmp_path).collect().height == jobs.height
    assert check_store(tmp_path).ok


def test_files_that_are_not_upwork_feeds_get_one_line(tmp_path):
    other = tmp_path / "other.xml"
    other.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Cats</title>'
        "<pubDate>Fri, 19 Jul 2024 05:16:01 +0000</pubDate><item><title>a cat</title></item>"
        "</channel></rss>"
    )
    undated = tmp_path / "undated.xml"
    swing = (FEEDS / "rss_swing.xml").read_bytes()
    undated.write_bytes(swing.replace(b"<pubDate>", b"<x>", 1).replace(b"</pubDate>", b"</x>", 1))
    garbage = tmp_path / "garbage.xml"
    garbage.write_text("not xml at all <")
    cases = {
        str(other): "is an RSS feed, but not Upwork's ('Cats')",
        str(undated): "the feed has no date",
        str(garbage): "is not an Upwork job feed: not XML",
        str(tmp_path / "missing.xml"): "no such file",
    }
    for file, message in cases.items():
        result = run_olm("import", "upwork-rss", file, "--store", str(tmp_path / "store"))
        assert message in one_line_error(result), file
    assert "unknown feed 'guru-rss'" in one_line_error(
        run_olm("import", "guru-rss", str(other), "--store", str(tmp_path / "store"))
    )
    assert not (tmp_path / "store").exists()


# -- the GraphQL job search ----------------------------------------------------------------------


def test_a_search_node_field_by_field():
    from olmstats.platforms.upwork.parse import job_from_node

    node = {  # the documented shape of marketplaceJobPostingsSearch's edges[].node
        "id": "1813123456789",
        "ciphertext": "~018036c463e1d2651e",
        "title": "Java/Kotlin Expert Needed",
        "createdDateTime": "2024-07-19T04:40:00.000Z",
        "publishedDateTime": "2024-07-19T04:41:00.000Z",
        "amount": {"rawValue": "0.0", "currency": "USD"},
        "hourlyBudgetType": "DEFAULT",
        "hourlyBudgetMin": {"rawValue": "30.0", "currency": "USD"},
        "hourlyBudgetMax": {"rawValue": "54.0", "currency": "USD"},
        "totalApplicants": 17,
        "occupations": {"category": {"id": "531", "prefLabel": "Web, Mobile & Software Dev"}},
        "skills": [
            {"name": "java", "prettyName": "Java"},
            {"name": "kotlin", "prettyName": "Kotlin"},
        ],
        "client": {
            "location": {"country": "United States", "city": "Austin"},
            "totalSpent": {"rawValue": "12500.5", "currency": "USD"},
        },
    }
    item = job_from_node(node, observed_at=NOW, run_id="r", query_skill="java")
    # the same id as the job's RSS item (…_%7E018036c463e1d2651e): one job, one pseudonym
    assert item.native_id == "018036c463e1d2651e"
    assert (item.job_type, item.budget_min, item.budget_max) == ("hourly", 30.0, 54.0)
    assert item.posted_at == datetime(2024, 7, 19, 4, 41, tzinfo=UTC)
    assert (item.bid_count, item.employer_country_name_raw) == (17, "United States")
    assert [s["id"] for s in item.skills_raw] == ["java", "kotlin"]
    assert item.extras == [{"key": "employer_spend_usd", "number": 12500.5, "text": None}]
    fixed = job_from_node(
        {
            **node,
            "hourlyBudgetType": None,
            "hourlyBudgetMin": None,
            "hourlyBudgetMax": None,
            "amount": {"rawValue": "250", "currency": "USD"},
        },
        observed_at=NOW,
        run_id="r",
        query_skill=None,
    )
    assert (fixed.job_type, fixed.budget_min, fixed.budget_max) == ("fixed", 250.0, 250.0)


@pytest.fixture(scope="module")
def api(small_market):
    from olmstats.platforms.upwork.replay import UpworkReplay

    return UpworkReplay(small_market)


def graphql_crawl(server, store, token: str, *args: str):
    return run_olm(
        "crawl",
        "upwork_jobs",
        *args,
        "--store",
        str(store),
        "--base-url",
        server.url,
        "--no-progress",
        "--set",
        "DOWNLOAD_DELAY=0",
        "--set",
        "AUTOTHROTTLE_ENABLED=False",
        env={"UPWORK_ACCESS_TOKEN": token},
    )


@pytest.mark.slow
def test_the_graphql_search_reads_every_job_cursor_after_cursor(api, tmp_path):
    from olmstats.replay import ReplayServer

    with ReplayServer(api) as server:
        result = graphql_crawl(server, tmp_path, "a-token-of-an-approved-key")
        posts = [r for r in server.requests if r.path == "/graphql"]
    assert result.returncode == 0, result.stderr
    jobs = scan_jobs(tmp_path).collect()
    assert jobs.height == len(api.nodes)
    assert len(posts) == -(-len(api.nodes) // 50)  # pages of UPWORK_PAGE_SIZE = 50
    assert set(jobs["job_type"]) == {"fixed", "hourly"}
    assert jobs["occupation"].null_count() == 0
    texts = {v for c in jobs.select(pl.col(pl.String)).columns for v in jobs[c].drop_nulls()}
    for node in api.nodes[:40]:
        assert node["title"] not in texts and node["description"] not in texts
    assert "Springfield" not in texts  # the client's city is never asked for
    (record,) = [json.loads(p.read_text()) for p in (tmp_path / "runs").glob("*.json")]
    assert "a-token-of-an-approved-key" not in json.dumps(record)  # credentials stay out


@pytest.mark.slow
def test_without_a_token_nothing_is_sent_and_a_refused_token_stops_the_crawl(api, tmp_path):
    from olmstats.replay import ReplayServer

    with ReplayServer(api) as server:
        missing = graphql_crawl(server, tmp_path / "a", "")
        assert [r for r in server.requests if r.path == "/graphql"] == []
        refused = graphql_crawl(server, tmp_path / "b", "short")
    assert missing.returncode == 2 and "needs UPWORK_ACCESS_TOKEN" in missing.stderr
    assert refused.returncode == 5 and "blocked_auth_required" in refused.stderr


@pytest.mark.slow
def test_the_replayed_rss_feed_imports_to_the_same_jobs_as_the_graphql_search(api, tmp_path):
    """One simulated market, two of Upwork's formats: the feed (as an archive saved it) and the
    search API give the same jobs, one pseudonym each, the same money, country and time."""
    from urllib.request import urlopen

    from olmstats.replay import ReplayServer

    with ReplayServer(api) as server:
        with urlopen(f"{server.url}/ab/feed/jobs/rss?q=") as answer:
            feed = answer.read()
        graphql = graphql_crawl(server, tmp_path / "api", "a-token-of-an-approved-key")
    assert graphql.returncode == 0, graphql.stderr
    archive = tmp_path / "upwork-all-jobs.xml"
    archive.write_bytes(feed)
    imported = run_olm("import", "upwork-rss", str(archive), "--store", str(tmp_path / "rss"))
    assert imported.returncode == 0, imported.stderr
    columns = ["job_id", "job_type", "budget_min_usd", "budget_max_usd", "posted_at", "skills"]
    from_feed = scan_jobs(tmp_path / "rss").select(*columns, "employer_country").collect()
    from_api = scan_jobs(tmp_path / "api").select(*columns, "employer_country").collect()
    assert from_feed.height == from_api.height == len(api.nodes)
    joined = from_api.join(from_feed, on="job_id", suffix="_feed")
    assert joined.height == len(api.nodes)  # every job has the same pseudonym both ways
    for column in [*columns[1:], "employer_country"]:
        assert (
            (joined[column] == joined[f"{column}_feed"])
            .fill_null(joined[column].is_null() & joined[f"{column}_feed"].is_null())
            .all()
        ), column
    # the feed's own date is the snapshot, and its free text (the brief with an e-mail) is gone
    (record,) = [json.loads(p.read_text()) for p in (tmp_path / "rss" / "runs").glob("*.json")]
    assert record["snapshot_date"] == api.snapshot_time.date().isoformat()
    assert b"owner@example.org" in feed
    stored = scan_jobs(tmp_path / "rss").collect().select(pl.col(pl.String))
    assert not any("example.org" in v for c in stored.columns for v in stored[c].drop_nulls())
