"""The core scenarios through the Python binding: an inspection, the hazard loop, typed errors,
callbacks, Chinese text and large byte arrays, closing."""

import threading
import time

import pytest

from offgrid import offgrid_ffi as core
from offgrid import offgrid_ffi as ffi
from offgrid.offgrid_ffi import (
    HazardStatus,
    InspectionStatus,
    ListQuery,
    ListSort,
    MissingKind,
    NewHazard,
    NewInspection,
    RecordKind,
    RectificationOrder,
    RegisterQuery,
    RiskGrade,
)

from conftest import ADMIN, INSPECTOR, RECTIFIER, SUPERVISOR

DAY = 86_400_000


def sha(n):
    return f"{n:064x}"


def sample_photo():
    """The bytes of the test JPEG that tests/bindings/run makes."""
    import os

    return open(os.environ.get("OFFGRID_SAMPLE", "target/bindings/sample.jpg"), "rb").read()


def new_inspection(store, template):
    store.set_user(ADMIN)
    store.inspections().publish_template(template)
    store.set_user(INSPECTOR)
    return store.inspections().create(NewInspection(template_id=template.id, project="p1", site="人防工程B2层"))


def test_whole_inspection(store, template):
    iid = new_inspection(store, template)
    assert store.inspections().get(iid).progress.hidden == ["ebike-photos"]
    with pytest.raises(ffi.OffgridError.CheckpointMismatch) as e:
        store.inspections().answer(iid, "entrance", '"WRONG"', None)
    assert e.value.item == "entrance"
    store.inspections().answer(iid, "entrance", '"RF-CP-ENTRANCE-01"', None)
    out = store.inspections().answer(iid, "exits-clear", '"fail"', "通道堆放杂物")
    assert out.failed and out.raises_hazard == RiskGrade.ORANGE
    with pytest.raises(ffi.OffgridError.Incomplete) as e:
        store.inspections().submit(iid)
    assert ("extinguishers", MissingKind.ANSWER) in {(m.item, m.what) for m in e.value.missing}
    # A photo is cited by hash only when this device holds it (or the record carries it).
    with pytest.raises(ffi.OffgridError.PhotoNotHeld) as e:
        store.inspections().add_photo(iid, "exits-clear", sha(1))
    assert e.value.sha256 == sha(1)
    photo = attach(store, core.PhotoTarget.INSPECTION(id=iid, item="exits-clear"), sample_photo(), core.CaptureContext())
    store.inspections().add_photo(iid, "exits-clear", photo.sha256)
    store.inspections().answer(iid, "extinguishers", "1.25", None)
    assert store.inspections().answer(iid, "ebikes", '"none"', None).shown == []
    image = bytes(range(256)) * (3 * 4096)  # 3 MiB
    store.inspections().sign(iid, "signed", "张工", image)
    progress = store.inspections().submit(iid)
    assert progress.completion_pct == 100.0
    ins = store.inspections().get(iid)
    assert ins.status == InspectionStatus.SUBMITTED
    assert ins.answers["exits-clear"].note == "通道堆放杂物"
    assert set(ins.answers["exits-clear"].photos) == {photo.sha256}
    assert ins.signatures[0].image_bytes == len(image)


def test_hazard_loop(store):
    store.set_user(INSPECTOR)
    hid = store.hazards().create(
        NewHazard(project="p1", site="B2", location="配电间", title="配电箱进水", description="渗水", grade=RiskGrade.RED, major=True)
    )
    store.set_user(SUPERVISOR)
    store.hazards().order_rectification(hid, RectificationOrder(unit="机电班组", person="u-li", person_name="李师傅", deadline_ms=int(time.time() * 1000) - DAY, measures="断电排水"))
    assert store.hazards().get(hid).overdue
    register = store.hazards().register(RegisterQuery(overdue=True, sort=ListSort.DUE))
    assert [r.id for r in register.rows] == [hid]
    assert register.by_grade == {"red": 1}
    store.set_user(RECTIFIER)
    # The evidence must exist: a hash with no photo attached to the hazard is refused.
    with pytest.raises(ffi.OffgridError.InvalidArgument) as e:
        store.hazards().submit_rectification(hid, "已更换", [sha(2)])
    assert "not attached" in e.value.reason
    after = attach(store, core.PhotoTarget.HAZARD(id=hid, rectification=True), sample_photo(), core.CaptureContext())
    assert after.stage == "rectification"
    store.hazards().submit_rectification(hid, "已更换", [after.sha256])
    with pytest.raises(ffi.OffgridError.RuleViolation):
        store.set_user(RECTIFIER.__class__(id="u-li", name="李师傅", roles=RECTIFIER.roles + INSPECTOR.roles))
        store.hazards().reinspect(hid, True, None)
    store.set_user(INSPECTOR)
    store.hazards().reinspect(hid, True, None)
    with pytest.raises(ffi.OffgridError.Forbidden) as e:
        store.hazards().write_off(hid, "核销")
    assert e.value.permission == "write_off_hazard"
    store.set_user(SUPERVISOR)
    store.hazards().write_off(hid, "验收合格")
    assert store.hazards().get(hid).state.status == HazardStatus.WRITTEN_OFF


def test_documents(store):
    """A notice with its photo, written by the core where it keeps documents; verified by hash."""
    store.set_user(INSPECTOR)
    hid = store.hazards().create(
        NewHazard(project="p1", site="B2", location="配电间", title="配电箱进水", description="渗水", grade=RiskGrade.RED, major=True)
    )
    attach(store, core.PhotoTarget.HAZARD(id=hid, rectification=False), sample_photo(), core.CaptureContext())
    settings = core.DocumentSettings(agency="测试站", number_pattern="{kind}-{year}-{serial}", logo_path=None, verify_url="https://offgrid.example/v1/verify/")
    notice = store.documents().rectification_notice([hid], settings)
    with open(notice.path, "rb") as f:
        data = f.read()
    assert data.startswith(b"%PDF") and len(data) == notice.bytes
    assert notice.number.startswith("整改-") and notice.missing_photos == []
    assert notice.sha256.encode() in data, "the hash is in the document's metadata"
    assert store.documents().verify(notice.sha256).status == core.DocumentStatus.VALID
    # A character no font has is printed as U+FFFD and listed: the document is made all the same.
    store.set_user(INSPECTOR)
    odd = store.hazards().create(NewHazard(project="p1", site="B2", location="中國建築 ⌀25", title="🙂", description="", grade=None, major=False))
    reply = store.documents().reply_form([odd], settings)
    with open(reply.path, "rb") as f:
        assert len(f.read()) == reply.bytes
    assert [(r.character, r.code_point) for r in reply.replaced_characters] == [("🙂", "U+1F642")]
    assert reply.replaced_characters[0].fields == ["/reply/items/0/problem"]


def attach(store, target, data, capture):
    """A photo "taken": written where the camera would write it, then attached by path."""
    path = store.photos().capture_path()
    with open(path, "wb") as f:
        f.write(data)
    return store.photos().add_captured(target, path, capture)


def test_typed_errors_and_close(store, db_path):
    with pytest.raises(ffi.OffgridError.NoCurrentUser):
        store.create_record(RecordKind.PROJECT, "{}")
    store.set_user(ADMIN)
    rid = store.create_record(RecordKind.PROJECT, '{"title": "防护单元 ①"}')
    with pytest.raises(ffi.OffgridError.NotFound) as e:
        store.get_record("missing")
    assert "not found" in e.value.reason
    with pytest.raises(ffi.OffgridError.InvalidArgument):
        store.create_record(RecordKind.PROJECT, "{oops")
    assert not hasattr(store, "apply_changes"), "raw changes are not on the shells' surface"
    assert [r.title for r in store.list(ListQuery(sort=ListSort.UPDATED))] == ["防护单元 ①"]
    store.close_database()
    with pytest.raises(ffi.OffgridError.Closed):
        store.get_record(rid)
    again = ffi.OffgridStore(db_path, 480)
    assert again.get_path(rid, "/title") == '"防护单元 ①"'
    again.close_database()


def test_listener_and_logger(store):
    seen, done = set(), threading.Event()

    class Listener(ffi.ChangeListener):
        def on_change(self, event):
            assert event.topics == [RecordKind.PROJECT]
            seen.update(event.records)
            if len(seen) >= 2:
                done.set()

    class Logger(ffi.Logger):
        def __init__(self):
            self.records = []

        def log(self, record):
            self.records.append(record)

    sub = store.subscribe(Listener())
    store.set_user(ADMIN)
    ids = {store.create_record(RecordKind.PROJECT, "{}") for _ in range(2)}
    assert done.wait(10)
    assert seen == ids
    sub.cancel()

    logger = Logger()
    ffi.set_logger(logger, ffi.LogLevel.DEBUG)
    try:
        store.verify()
        ffi.OffgridStore(store.path() + ".second.db", 0).close_database()
        assert any("store opened" in r.message for r in logger.records)
    finally:
        ffi.set_logger(None, ffi.LogLevel.ERROR)


def test_photo(store, template):
    import hashlib

    data = sample_photo()
    iid = new_inspection(store, template)
    meta = attach(store, core.PhotoTarget.INSPECTION(id=iid, item="exits-clear"), data, core.CaptureContext())
    assert meta.sha256 == hashlib.sha256(data).hexdigest()
    assert meta.exif.orientation == 6
    assert store.photos().read(meta.sha256, core.PhotoFile.ORIGINAL) == data
    assert [q.sha256 for q in store.photos().queue(core.PhotoState.LOCAL)] == [meta.sha256]
    with pytest.raises(ffi.OffgridError.UnsupportedImage) as e:
        attach(store, core.PhotoTarget.INSPECTION(id=iid, item="exits-clear"), b"GIF89a....", core.CaptureContext())
    assert e.value.format == "GIF"


def test_encrypted_store(tmp_path):
    db = str(tmp_path / "enc.db")
    key = ffi.generate_store_key()
    assert len(key) == 32
    store = ffi.OffgridStore.open_encrypted(db, 480, key)
    assert store.is_encrypted()
    store.set_user(ADMIN)
    rid = store.create_record(RecordKind.PROJECT, '{"title": "渗水-secret"}')
    store.close_database()
    raw = open(db, "rb").read()
    assert "渗水-secret".encode() not in raw and b"SQLite format 3" not in raw
    with pytest.raises(ffi.OffgridError.KeyRequired):
        ffi.OffgridStore(db, 480)
    with pytest.raises(ffi.OffgridError.WrongKey):
        ffi.OffgridStore.open_encrypted(db, 480, ffi.generate_store_key())
    new = ffi.generate_store_key()
    ffi.rekey_store(db, key, new)
    again = ffi.OffgridStore.open_encrypted(db, 480, new)
    assert "渗水-secret" in again.get_record(rid)
    again.close_database()


def test_sync_through_a_real_server(tmp_path):
    import os

    url = os.environ["OFFGRID_SERVER"]
    a = ffi.OffgridStore(str(tmp_path / "a.db"), 480)
    b = ffi.OffgridStore(str(tmp_path / "b.db"), 480)
    try:
        with pytest.raises(ffi.OffgridError.Unauthorized):
            a.sync().login(url, "zhang", "nope", "py")
        account = a.sync().login(url, "zhang", "correct horse", "python device a")
        assert account.name == "张工"
        b.sync().login(url, "wang", "correct horse", "python device b")
        hid = a.hazards().create(NewHazard(project="p1", site="B3", location="排风机房", title="风机异响", description="轴承磨损"))

        class Listener(ffi.SyncProgressListener):
            def __init__(self):
                self.phases = []

            def on_progress(self, progress):
                self.phases.append(progress.phase)

        listener = Listener()
        report = a.sync().run(listener, None)
        assert report.complete and report.progress.records_up >= 1
        assert listener.phases[-1] == "done"
        assert b.sync().run(None, None).complete
        assert b.hazards().get(hid).title == "风机异响"
        assert a.get_record(hid) == b.get_record(hid)
        # Both answer the same item offline: sync merges, and the conflict names both.
        iid = a.inspections().create(NewInspection(template_id="shelter-safety-patrol", project="p1", site="B3"))
        assert a.sync().run(None, None).complete and b.sync().run(None, None).complete
        a.inspections().answer(iid, "remarks", '"门口积水"', None)
        b.inspections().answer(iid, "remarks", '"门口积水，已告知物业"', None)
        for device in (a, b, a):
            assert device.sync().run(None, None).complete
        assert a.get_record(iid) == b.get_record(iid)
        conflict = next(c for c in a.conflicts(iid) if c.path == "/answers/remarks/value")
        assert {v.user_name for v in conflict.values} == {"张工", b.current_user().name}
    finally:
        a.close_database()
        b.close_database()


def test_grid_and_sites_with_tags(store):
    """Reference data (ADR 0007): cells, a site with checkpoints, a tag bound then unbound."""
    from offgrid.offgrid_ffi import (
        CheckMethod,
        CheckpointKind,
        GridLevel,
        GridMember,
        GridRole,
        NewCheckpoint,
        NewGridCell,
        NewSite,
        SiteKind,
        SiteQuery,
    )

    store.set_user(ADMIN)
    grid, sites = store.grid(), store.sites()
    city = grid.add(NewGridCell(code="3201", name="南京市", level=GridLevel.CITY, parent=None, boundary=None))
    community = grid.add(
        NewGridCell(code="320105001", name="吉庆社区", level=GridLevel.COMMUNITY, parent=city, boundary=None)
    )
    grid.set_member(community, GridMember(user="u-zhang", name="张工", role=GridRole.MEMBER))
    assert [c.code for c in grid.subtree(city)] == ["3201", "320105001"]
    assert grid.cells_of("u-zhang")[0].name == "吉庆社区"
    with pytest.raises(ffi.OffgridError.InvalidArgument):
        grid.add(NewGridCell(code="3201", name="重复", level=GridLevel.CITY, parent=None, boundary=None))

    site = sites.add(
        NewSite(
            name="吉庆人防工程",
            address="江东中路100号",
            kind=SiteKind.ATTACHED,
            unit="吉庆物业",
            cell=community,
            location='{"type":"Point","coordinates":[118.7312,32.0051]}',
            projects=["p1"],
        )
    )
    door = sites.add_checkpoint(site, NewCheckpoint(name="1号防护密闭门", kind=CheckpointKind.BLAST_DOOR, methods=[CheckMethod.QR]))
    event = sites.bind_tag(site, door, "OFFGRID:CP:0042", CheckMethod.QR)
    assert sites.tag_binding("OFFGRID:CP:0042", event.at_ms).checkpoint_name == "1号防护密闭门"
    gone = sites.unbind_tag(site, "OFFGRID:CP:0042", "标签被盗")
    assert sites.tag_binding("OFFGRID:CP:0042", gone.at_ms + 1) is None
    assert sites.tag_binding("OFFGRID:CP:0042", event.at_ms) is not None or gone.at_ms == event.at_ms
    assert [e.site for e in sites.tag_history("OFFGRID:CP:0042")] == [site, site]
    assert [r.id for r in sites.list(SiteQuery(cell=community, project=None, text=None))] == [site]
    assert sites.site(site).checkpoints[0].tags == []

    store.set_user(INSPECTOR)
    with pytest.raises(ffi.OffgridError.Forbidden):
        sites.add_checkpoint(site, NewCheckpoint(name="x", kind=CheckpointKind.OTHER, methods=[CheckMethod.QR]))


def test_patrol_plan_run_scan_and_tasks(store):
    """Patrols (ADR 0008): a plan, a run with a counting scan, a flagged one, a skip, a
    finish that needs a reason, and tomorrow's task derived from the plan."""
    import time

    from offgrid.offgrid_ffi import (
        CheckMethod,
        CheckpointKind,
        Completion,
        GridLevel,
        NewCheckpoint,
        NewGridCell,
        NewObservation,
        NewPlan,
        NewSite,
        Recurrence,
        RunStatus,
        ScanFlag,
        ScanInput,
        Schedule,
        SiteKind,
        TaskQuery,
        TaskState,
        User,
    )

    store.set_user(ADMIN)
    city = store.grid().add(NewGridCell(code="3201", name="南京市", level=GridLevel.CITY, parent=None, boundary=None))
    sites = store.sites()
    site = sites.add(
        NewSite(name="吉庆人防工程", address="江东中路100号", kind=SiteKind.DUAL_USE, unit="物业", cell=city, location=None, projects=[])
    )
    doors = []
    for i, name in enumerate(["出入口", "防护密闭门"]):
        cp = sites.add_checkpoint(site, NewCheckpoint(name=name, kind=CheckpointKind.ENTRANCE, methods=[CheckMethod.NFC]))
        sites.bind_tag(site, cp, f"https://tag.example/t?uid=04AABBCCDD000{i}", CheckMethod.NFC)
        doors.append(cp)
    patrols = store.patrols()
    schedule = Schedule(recurrence=Recurrence.DAY(), starts=[9 * 60], window_minutes=120, grace_minutes=30, utc_offset_minutes=480)
    plan = patrols.add_plan(
        NewPlan(
            title="日常巡查",
            site=site,
            checkpoints=[],
            template=None,
            schedule=schedule,
            in_sequence=False,
            assignees=["u-li"],
            completion=Completion.ANY,
            skip_needs_approval=False,
        )
    )
    assert [c.id for c in patrols.plan(plan).versions[0].checkpoints] == doors
    with pytest.raises(ffi.OffgridError.InvalidArgument):
        patrols.add_plan(
            NewPlan(title="x", site=site, checkpoints=[], template=None, schedule=schedule, in_sequence=False,
                    assignees=[], completion=Completion.ANY, skip_needs_approval=False)
        )

    store.set_user(User(id="u-li", name="李", roles=[]))
    run = patrols.start(plan, None)
    ok = patrols.scan(run, ScanInput(method=CheckMethod.NFC, payload="https://tag.example/t?uid=04AABBCCDD0000",
                                     checkpoint=None, photos=[], monotonic_ms=None, gps=None))
    assert ok.verdict.counts and ok.verdict.checkpoint == doors[0]
    unknown = patrols.scan(run, ScanInput(method=CheckMethod.NFC, payload="https://tag.example/t?uid=04FFFFFFFFFFFF",
                                          checkpoint=None, photos=[], monotonic_ms=None, gps=None))
    assert not unknown.verdict.counts and unknown.verdict.flags == [ScanFlag.UNKNOWN_TAG]
    patrols.skip(run, doors[1], "积水 / flooded")
    patrols.observe(run, NewObservation(checkpoint=doors[1], text="门下积水", grade=None, photos=[]))
    view = patrols.run(run)
    assert view.status == RunStatus.IN_PROGRESS and view.remaining == []
    patrols.finish(run, None)
    view = patrols.run(run)
    assert view.status == RunStatus.FINISHED
    assert view.events[0].kind.is_START() and view.events[1].kind.is_SCAN()
    assert view.events[1].kind.verdict.checkpoint == doors[0]

    # Tomorrow's 09:00 task, from the plan, upcoming.
    now = int(time.time() * 1000)
    local = now + 8 * 3_600_000 + 86_400_000
    day = local - local % 86_400_000 - 8 * 3_600_000
    tasks = patrols.tasks(TaskQuery(from_ms=day, to_ms=day + 86_400_000, assignee="u-li", plan=None, site=None))
    assert len(tasks) == 1 and tasks[0].state == TaskState.UPCOMING
    assert tasks[0].occurrence.start_ms == day + 9 * 3_600_000
    from offgrid.offgrid_ffi import CoverageQuery

    [cov] = patrols.coverage(CoverageQuery(from_ms=day, to_ms=day + 86_400_000, cell=None))
    assert cov.code == "3201" and cov.sites == 1 and cov.total.tasks.upcoming == 1
