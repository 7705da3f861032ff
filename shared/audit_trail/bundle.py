"""Export bundles: one case's stored events with everything needed to verify them offline.

A bundle is JSON Lines, one object per line, with a `type`:

  header      format, case id and reference, who exported it and when
  checkpoint  per service: the checkpoint the service's events are verified against
              (seq, recorded_at, position, log_hash, prev_hash, checkpoint_hash); or `head`
              (position, log_hash) when the service had no checkpoint covering them
  event       one stored event: service, notification_id, originator_id, originator_version,
              topic, state (the stored bytes, base64: personal data stays sealed), the
              stream's previous hash and this stream hash, the log's previous hash and this
              log hash; `event`, `at` and `audit` readable copies of what the bytes say
  log_link    every other position of the service's log between the first event and the
              checkpoint: notification_id, originator_id, originator_version, stream_hash,
              log_hash -- hashes and ids only, no content
  end         the number of lines before it and the SHA-256 of their bytes

`verify_bundle(path)` needs nothing but the file. It recomputes, with shared.chain's
formulas (documented there and in shared.audit_trail.checkpoints):
  * each event's stream hash from its stored bytes and the previous hash, and that
    consecutive versions link (version 1 from 32 zero bytes);
  * the log chain from the first event's previous log hash through every event and link,
    up to the checkpoint's position, where it must equal the checkpoint's log hash;
  * each checkpoint's own hash from its fields and predecessor hash;
  * that the readable copies say what the stored bytes say, that no position of a stream
    bundled whole is left out, and the end line's digest.

What that proves: the events are byte for byte the ones the service stored, in that order,
at those positions of its log, none removed from the bundled streams -- as attested by the
checkpoint. What it cannot prove alone: that the checkpoint itself is genuine (compare its
`checkpoint_hash` with a copy kept outside the database: the CronJob's log, an earlier
bundle, a notarised record; anyone can recompute SHA-256 over a forged file), or that no
event about the case exists that names it in no way the convention knows (links.py).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from shared import chain
from shared.audit_trail.checkpoints import Checkpoint, checkpoint_hash, load_checkpoints
from shared.audit_trail.decode import event_name, plain
from shared.audit_trail.links import CaseEvent, CaseFile, collect_case
from shared.audit_trail.sources import Catalogue, StoreReader
from shared.config import Settings
from shared.eventstore import AUDIT_KEY

FORMAT = "haven-audit-bundle/1"


def _line(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode() + b"\n"


# -- export ---------------------------------------------------------------------------
def export_bundle(ref: str, cfg: Settings, out: IO[bytes], catalogue: Catalogue | None = None,
                  exported_by: str | None = None) -> dict[str, Any]:
    """Write the case's bundle to `out`; returns the header plus counts."""
    return export_case(collect_case(ref, cfg, catalogue), cfg, out, exported_by)


def export_case(case: CaseFile, cfg: Settings, out: IO[bytes],
                exported_by: str | None = None) -> dict[str, Any]:
    header = {"type": "header", "format": FORMAT, "case_id": case.case_id,
              "reference": case.reference, "exported_by": exported_by,
              "exported_at": datetime.now(UTC).isoformat()}
    lines = [_line(header)]
    counts = {"events": 0, "links": 0}
    for service in sorted({e.record.service for e in case.events}):
        events = sorted((e for e in case.events if e.record.service == service),
                        key=lambda e: e.record.notification_id)
        with StoreReader(service, cfg) as reader:
            lines += _service_lines(case, service, events, reader,
                                    load_checkpoints(service, cfg), counts)
    digest = hashlib.sha256(b"".join(lines)).hexdigest()
    lines.append(_line({"type": "end", "lines": len(lines), "sha256": digest}))
    out.write(b"".join(lines))
    return {**header, **counts}


def _anchor(points: list[Checkpoint], last_nid: int) -> Checkpoint | None:
    """The earliest checkpoint that covers every event (fewest links), else the latest."""
    covering = [p for p in points if p.position >= last_nid]
    return covering[0] if covering else (points[-1] if points else None)


def _service_lines(case: CaseFile, service: str, events: list[CaseEvent], reader: StoreReader,
                   points: list[Checkpoint], counts: dict[str, int]) -> list[bytes]:
    first, last = events[0].record.notification_id, events[-1].record.notification_id
    point = _anchor(points, last)
    if point is not None:
        anchor = {"type": "checkpoint", **point.to_dict()}
        upto = max(last, point.position)
    else:
        head = reader.head() or (last, b"")
        anchor = {"type": "head", "service": service, "position": head[0],
                  "log_hash": head[1].hex()}
        upto = max(last, head[0])
    lines = [_line(anchor)]
    mine = {e.record.notification_id: e for e in events}
    lines += [_line(_event_line(case, mine[first], reader))]
    counts["events"] += 1
    for nid, oid, version, s_hash, l_hash in reader.links(first, upto):
        if nid in mine:
            lines.append(_line(_event_line(case, mine.pop(nid), reader)))
            counts["events"] += 1
        else:
            lines.append(_line({"type": "log_link", "service": service, "notification_id": nid,
                                "originator_id": oid, "originator_version": version,
                                "stream_hash": s_hash.hex(), "log_hash": l_hash.hex()}))
            counts["links"] += 1
    mine.pop(first, None)
    for event in mine.values():  # events without a chain entry: let the verifier say so
        lines.append(_line(_event_line(case, event, reader)))
        counts["events"] += 1
    return lines


def _event_line(case: CaseFile, event: CaseEvent, reader: StoreReader) -> dict[str, Any]:
    r, d = event.record, event.decoded
    prev_stream = reader.stream_hash_before(r.originator_id, r.originator_version)
    prev_log = reader.log_hash_before(r.notification_id)
    return {
        "type": "event", "service": r.service, "notification_id": r.notification_id,
        "originator_id": r.originator_id, "originator_version": r.originator_version,
        "topic": r.topic, "state": base64.b64encode(r.state).decode(),
        "prev_stream_hash": (prev_stream or chain.GENESIS).hex(),
        "stream_hash": r.stream_hash.hex() if r.stream_hash else "",
        "prev_log_hash": (prev_log or chain.GENESIS).hex(),
        "log_hash": r.log_hash.hex() if r.log_hash else "",
        "whole_stream": (r.service, r.originator_id) in case.whole_streams,
        "event": d.name, "at": plain(d.timestamp), "audit": d.audit, "link": event.why,
    }


# -- offline verification -------------------------------------------------------------
@dataclass
class BundleReport:
    case_id: str | None = None
    reference: str | None = None
    events: int = 0
    links: int = 0
    streams: int = 0
    attested: dict[str, str] = field(default_factory=dict)  # service -> by what
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.events > 0

    def text(self) -> str:
        rows = [f"bundle for case {self.reference or '-'} (id {self.case_id}):"
                f" {self.events} events in {self.streams} streams, {self.links} log links:"
                f" {'VERIFIED' if self.ok else 'FAILED'}"]
        rows += [f"  {service}: {how}" for service, how in sorted(self.attested.items())]
        rows += [f"  PROBLEM {p}" for p in self.problems]
        rows += [f"  note: {n}" for n in self.notes]
        return "\n".join(rows)


def verify_bundle(path: str | Path) -> BundleReport:
    report = BundleReport()
    lines = Path(path).read_bytes().splitlines(keepends=True)
    try:
        objects = [json.loads(line) for line in lines]
    except (ValueError, UnicodeDecodeError) as exc:
        report.problems.append(f"not a bundle: a line is not JSON ({exc})")
        return report
    if not objects or objects[0].get("type") != "header" or objects[0].get("format") != FORMAT:
        report.problems.append(f"not a {FORMAT} bundle (no header)")
        return report
    _check_digest(lines, objects, report)
    report.case_id, report.reference = objects[0].get("case_id"), objects[0].get("reference")
    by_service: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for obj in objects[1:-1]:
        by_service[str(obj.get("service"))].append(obj)
    for service, items in sorted(by_service.items()):
        try:
            _check_service(service, items, report)
        except (KeyError, TypeError, ValueError) as exc:
            report.problems.append(f"{service}: malformed line ({type(exc).__name__}: {exc})")
    return report


def _check_digest(lines: list[bytes], objects: list[dict[str, Any]],
                  report: BundleReport) -> None:
    end = objects[-1]
    if end.get("type") != "end" or end.get("lines") != len(lines) - 1:
        report.problems.append("the end line is missing or counts other lines: truncated?")
    elif hashlib.sha256(b"".join(lines[:-1])).hexdigest() != end.get("sha256"):
        report.problems.append("the bundle's bytes differ from those it was exported with")


def _check_service(service: str, items: list[dict[str, Any]], report: BundleReport) -> None:
    anchors = [i for i in items if i["type"] in ("checkpoint", "head")]
    events = [i for i in items if i["type"] == "event"]
    if len(anchors) != 1 or not events:
        report.problems.append(f"{service}: needs one checkpoint (or head) and some events")
        return
    anchor = anchors[0]
    report.events += len(events)
    report.links += sum(1 for i in items if i["type"] == "log_link")
    _check_checkpoint(service, anchor, report)
    whole = _check_streams(service, events, report)
    _check_log(service, anchor, [i for i in items if i["type"] in ("event", "log_link")],
               whole, report)


def _check_checkpoint(service: str, anchor: dict[str, Any], report: BundleReport) -> None:
    if anchor["type"] == "head":
        report.attested[service] = (f"the log head at export (position {anchor['position']});"
                                    " no checkpoint: consistency only, nothing attests it")
        report.notes.append(f"{service}: no checkpoint covered these events at export")
        return
    recomputed = checkpoint_hash(bytes.fromhex(anchor["prev_hash"]), int(anchor["position"]),
                                 bytes.fromhex(anchor["log_hash"]), anchor["recorded_at"])
    if recomputed.hex() != anchor["checkpoint_hash"]:
        report.problems.append(f"{service}: checkpoint #{anchor['seq']} does not hash to its"
                               " checkpoint_hash")
    report.attested[service] = (f"checkpoint #{anchor['seq']} of {anchor['recorded_at']} at"
                                f" position {anchor['position']}, checkpoint_hash"
                                f" {anchor['checkpoint_hash']}")


def _check_streams(service: str, events: list[dict[str, Any]],
                   report: BundleReport) -> set[str]:
    """Stream chains and readable copies; returns the streams bundled whole."""
    streams: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        streams[e["originator_id"]].append(e)
    report.streams += len(streams)
    whole = set()
    for oid, versions in streams.items():
        versions.sort(key=lambda e: e["originator_version"])
        if versions[0]["whole_stream"]:
            whole.add(oid)
        previous: dict[str, Any] | None = None
        for e in versions:
            where = f"{service} stream {oid} v{e['originator_version']}"
            _check_event(where, e, previous, oid in whole, report)
            previous = e
    return whole


def _check_event(where: str, e: dict[str, Any], previous: dict[str, Any] | None,
                 whole: bool, report: BundleReport) -> None:
    state = base64.b64decode(e["state"], validate=True)
    version = int(e["originator_version"])
    if previous is not None and version == previous["originator_version"] + 1:
        if e["prev_stream_hash"] != previous["stream_hash"]:
            report.problems.append(f"{where}: does not link to v{version - 1}")
    elif whole and version != (1 if previous is None else previous["originator_version"] + 1):
        report.problems.append(f"{where}: versions before it are missing from the bundle")
    if version == 1 and e["prev_stream_hash"] != chain.GENESIS.hex():
        report.problems.append(f"{where}: a first version must start from the genesis hash")
    computed = chain.stream_hash(bytes.fromhex(e["prev_stream_hash"]), e["originator_id"],
                                 version, e["topic"], state)
    if computed.hex() != e["stream_hash"]:
        report.problems.append(f"{where}: the stored bytes are not the ones chained")
    stored = json.loads(state)
    if stored.get(AUDIT_KEY) != e["audit"] or event_name(e["topic"]) != e["event"]:
        report.problems.append(f"{where}: the readable copy differs from the stored bytes")


def _check_log(service: str, anchor: dict[str, Any], items: list[dict[str, Any]],
               whole: set[str], report: BundleReport) -> None:
    items = sorted(items, key=lambda i: i["notification_id"])
    nids = [i["notification_id"] for i in items]
    if len(set(nids)) != len(nids):
        report.problems.append(f"{service}: a log position appears twice")
    position = int(anchor["position"])
    running = bytes.fromhex(items[0]["prev_log_hash"])
    reached = False
    for item in items:
        nid = int(item["notification_id"])
        if item["type"] == "event" and item["prev_log_hash"] != running.hex():
            report.problems.append(f"{service}: the event at notification {nid} does not"
                                   " follow the log position before it")
        elif item["type"] == "log_link" and item["originator_id"] in whole:
            report.problems.append(f"{service}: notification {nid} belongs to bundled stream"
                                   f" {item['originator_id']} but its event is left out")
        running = chain.log_hash(running, nid, bytes.fromhex(item["stream_hash"]))
        if running.hex() != item["log_hash"]:
            report.problems.append(f"{service}: the log chain breaks at notification {nid}")
            running = bytes.fromhex(item["log_hash"])  # report each break once
        if nid == position:
            reached = True
            if running.hex() != anchor["log_hash"]:
                report.problems.append(f"{service}: the log chain does not reach the attested"
                                       f" hash at notification {position}")
    if not reached:
        report.problems.append(f"{service}: the log links stop before the attested position"
                               f" {position}")
    later = [i for i in items if i["type"] == "event" and i["notification_id"] > position]
    if later:
        report.notes.append(f"{service}: {len(later)} event(s) after the checkpoint are"
                            " chained but not yet attested by a checkpoint")
