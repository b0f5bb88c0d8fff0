//! Per-family plans of the scripted policy: how to recognise the question from its sentence,
//! what to gather (and show), and how to compute the answer, as Python cells over the public
//! tool API.

use super::PolicyError;
use super::closest::{prose, py_str};
use crate::questions::{Family, templates as t};

/// Printed by gathering cells for an object they could not find; triggers the retry.
pub const MISSING: &str = "MISSING:";

/// Helpers every plan's cells use. Defined again in each self-contained retry because failed
/// cells roll the namespace back.
pub const HELPERS: &str = r#"import numpy as np
import scipy.spatial
_ROBUST = False

def _spread(frames, k):
    """At most k frames spread evenly over the list, keeping the first and the last."""
    frames = list(frames)
    if len(frames) <= k:
        return frames
    idx = sorted(set(np.linspace(0, len(frames) - 1, k).round().astype(int).tolist()))
    return [frames[i] for i in idx]

def _masks(img, prompt):
    """Instance masks of `prompt` in one image, most confident first ([] if none)."""
    for thr in ((0.3, 0.1) if _ROBUST else (0.3,)):
        try:
            seg = tools.SAM3.segment_image_by_text(img, prompt, confidence_threshold=thr)
        except RuntimeError:
            continue
        fi = img.frame_index
        return [seg.get_mask(frame=fi, object=k) for k in range(seg.num_objects)], seg
    return [], None

def _points(recon, frames, prompt, min_px=30):
    """World points of the most confident `prompt` instance in each frame, stacked."""
    chunks, shown = [], None
    for img in frames:
        masks, seg = _masks(img, prompt)
        if not masks or masks[0].sum() < min_px:
            continue
        p = recon.points[img.frame_index][masks[0]]
        chunks.append(p[np.isfinite(p).all(axis=1)])
        if shown is None:
            shown = seg.visualize(img.frame_index)
    pts = np.concatenate(chunks) if chunks else np.zeros((0, 3), np.float32)
    return pts, shown

def _gather(labels, k=12):
    """Reconstruct up to k frames and collect every label's world points."""
    frames = _spread(InputImages, 16 if _ROBUST else k)
    recon = tools.Reconstruct.Reconstruct(frames)
    pts = {}
    for lab in labels:
        p, vis = _points(recon, frames, lab)
        pts[lab] = p
        print(f"{lab}: {len(p)} points")
        if len(p) == 0:
            print("MISSING:", lab)
        elif vis is not None and len(pts) <= 2:
            show(vis, label=f"{lab} mask")
    return frames, recon, pts

def _box(pts):
    """Centre, horizontal extents and (bottom, top) of the tightest upright box around points."""
    xz = pts[:, [0, 2]].astype(np.float64)
    xz = xz[::max(1, len(xz) // 20000)]
    def fit(angles):
        best = None
        for deg in angles:
            a = np.radians(deg)
            rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
            q = xz @ rot
            lo, hi = q.min(axis=0), q.max(axis=0)
            area = float(np.prod(hi - lo))
            if best is None or area < best[0]:
                best = (area, deg, rot, lo, hi)
        return best
    coarse = fit(np.arange(0.0, 90.0, 1.0))
    _, _, rot, lo, hi = fit(np.arange(coarse[1] - 1.0, coarse[1] + 1.0, 0.05))
    cx, cz = ((lo + hi) / 2) @ rot.T
    y0, y1 = float(pts[:, 1].min()), float(pts[:, 1].max())
    if y0 < 0.12:
        y0 = 0.0  # stands on the floor; its lowest edge may be hidden
    return np.array([cx, (y0 + y1) / 2, cz]), hi - lo, (y0, y1)

def _letter(text):
    """Letter of the option whose text is `text`."""
    for letter, option in _OPTIONS.items():
        if option == text:
            return letter
    print(f"no option reads {text!r}; options: {_OPTIONS}")
    return None
"#;

/// What the policy does for one question.
pub struct Plan {
    pub family: Family,
    /// Prose goal for the Purpose line.
    pub goal: String,
    pub why_gather: String,
    pub why_answer: String,
    pub gather: String,
    pub answer: String,
    pub give_up: String,
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let a = text.find(start)? + start.len();
    let b = text[a..].find(end)? + a;
    Some(text[a..b].trim())
}

fn label(s: &str) -> Result<String, PolicyError> {
    if s.is_empty() || s.chars().count() > 80 || s.contains(['\n', '\r']) {
        return Err(PolicyError::InvalidLabel(s.to_string()));
    }
    Ok(s.to_string())
}

/// Lettered options ("A. text" lines) of a prompt.
fn options(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let (letter, rest) = l.split_once(". ")?;
            (letter.len() == 1 && letter.chars().all(|c| c.is_ascii_uppercase()))
                .then(|| (letter.to_string(), rest.trim().to_string()))
        })
        .collect()
}

fn py_list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| py_str(s)).collect();
    format!("[{}]", inner.join(", "))
}

fn py_options(opts: &[(String, String)]) -> String {
    let inner: Vec<String> = opts
        .iter()
        .map(|(l, t)| format!("{}: {}", py_str(l), py_str(t)))
        .collect();
    format!("_OPTIONS = {{{}}}\n", inner.join(", "))
}

const GUESS_LETTER: &str = "print(\"No reliable evidence; answering with the first option as a guess.\")\nReturnAnswer(\"A\")";

fn guess_number(v: &str) -> String {
    format!(
        "print(\"No reliable evidence; answering with a typical value as a guess.\")\nReturnAnswer({v})"
    )
}

/// The plan for a question, `Ok(None)` when no family template matches.
pub fn recognise(text: &str) -> Result<Option<Plan>, PolicyError> {
    let opts = options(text);
    let labels_of = |o: &[(String, String)]| -> Result<Vec<String>, PolicyError> {
        o.iter().map(|(_, t)| label(t)).collect()
    };
    if let Some(p) = between(text, t::COUNT, t::COUNT_END) {
        return Ok(Some(count(&label(p)?)));
    }
    if let (Some(a), Some(b)) = (
        between(text, t::CENTROID, t::CENTROID_MID),
        between(text, t::CENTROID_MID, "?"),
    ) {
        return Ok(Some(centroid(&label(a)?, &label(b)?)));
    }
    if let Some(a) = between(text, t::LONGEST, t::HEIGHT_END) {
        return Ok(Some(size(&label(a)?, true)));
    }
    if let Some(a) = between(text, t::HEIGHT, t::HEIGHT_END) {
        return Ok(Some(size(&label(a)?, false)));
    }
    if text.contains(t::ROOM) {
        return Ok(Some(room()));
    }
    if let Some(x) = between(text, t::REL_DIST, "?") {
        return Ok(Some(closest_to(&label(x)?, &opts, &labels_of(&opts)?)));
    }
    if let (Some(a), Some(b)) = (
        between(text, t::REL_DIR_IMAGE, t::REL_DIR_IMAGE_MID),
        between(text, t::REL_DIR_IMAGE_MID, "?"),
    ) {
        return Ok(Some(left_right(&label(a)?, &label(b)?, &opts)));
    }
    if let Some(a) = between(text, t::REL_DIR_VIDEO, t::REL_DIR_VIDEO_END) {
        return Ok(Some(quadrant_last(&label(a)?, &opts)));
    }
    if let (Some(a), Some(b), Some(c)) = (
        between(text, t::ALLO, t::ALLO_FACING),
        between(text, t::ALLO_FACING, t::ALLO_TARGET),
        between(text, t::ALLO_TARGET, " relative to you?"),
    ) {
        return Ok(Some(allocentric(&label(a)?, &label(b)?, &label(c)?, &opts)));
    }
    if text.contains(t::ORDER) {
        let shown = between(text, "Objects: ", ".\n").unwrap_or_default();
        let labels: Vec<String> = shown.split(", ").map(label).collect::<Result<_, _>>()?;
        return Ok(Some(order(&labels, &opts)));
    }
    if text.contains(t::DISPLACEMENT) {
        return Ok(Some(displacement()));
    }
    if text.contains(t::ROTATION) {
        return Ok(Some(rotation(&opts)));
    }
    if let Some(a) = between(text, t::MOTION, t::MOTION_END) {
        return Ok(Some(motion(&label(a)?, &opts)));
    }
    if let Some(a) = between(text, t::VIEWS, t::VIEWS_END) {
        return Ok(Some(views(&label(a)?, &opts)));
    }
    if text.contains(t::HIGHEST) {
        return Ok(Some(highest(&opts, &labels_of(&opts)?)));
    }
    Ok(None)
}

fn count(plural: &str) -> Plan {
    let p = py_str(plural);
    Plan {
        family: Family::ObjectCount,
        goal: format!("count the {} in the image", prose(plural)),
        why_gather: "Text segmentation returns one mask per instance it finds.\nI look at the \
                     masks and their pixel areas to spot slivers that are not real instances."
            .into(),
        why_answer: "Every instance with a mask of at least 100 pixels is a visible object; \
                     their number is the count."
            .into(),
        gather: format!(
            "img = InputImages[0]\nmasks, seg = _masks(img, {p})\n\
             print(\"instances found:\", len(masks), \"pixel areas:\", [int(m.sum()) for m in masks])\n\
             if seg is None:\n    print(\"MISSING:\", {p})\nelse:\n    show(seg.visualize(img.frame_index), label={p} + \" masks\")"
        ),
        answer: format!(
            "img = InputImages[0]\nmasks, seg = _masks(img, {p})\n\
             count = sum(1 for m in masks if m.sum() >= 100)\nprint(\"count:\", count)\nReturnAnswer(count)"
        ),
        give_up: guess_number("1"),
    }
}

fn centroid(a: &str, b: &str) -> Plan {
    let (la, lb) = (py_str(a), py_str(b));
    Plan {
        family: Family::DistanceCentroid,
        goal: format!(
            "distance between the centres of the {} and the {}",
            prose(a),
            prose(b)
        ),
        why_gather: "The centres need metric 3D points of both objects, ideally from several \
                     frames so more of each object is seen.\nI reconstruct a spread of frames and \
                     lift each object's mask in every frame to world points."
            .into(),
        why_answer: "An object's centre is the centre of the tightest upright box around its \
                     points; the answer is the distance between the two centres."
            .into(),
        gather: format!("frames, recon, pts = _gather([{la}, {lb}])"),
        answer: format!(
            "ca, cb = _box(pts[{la}])[0], _box(pts[{lb}])[0]\n\
             print(\"centres:\", ca.round(3), cb.round(3))\n\
             d = float(np.linalg.norm(ca - cb))\nprint(f\"distance: {{d:.3f}} m\")\nReturnAnswer(round(d, 2))"
        ),
        give_up: guess_number("2.0"),
    }
}

fn size(a: &str, longest: bool) -> Plan {
    let la = py_str(a);
    Plan {
        family: Family::ObjectSize,
        goal: format!(
            "{} of the {}",
            if longest {
                "longest dimension"
            } else {
                "height"
            },
            prose(a)
        ),
        why_gather: "Size needs the object's metric 3D points; several frames show more of it."
            .into(),
        why_answer: "The tightest upright box around the points gives width, depth and height \
                     (objects standing on the floor reach down to it)."
            .into(),
        gather: format!("frames, recon, pts = _gather([{la}])"),
        answer: format!(
            "c, ext, (y0, y1) = _box(pts[{la}])\nh = y1 - y0\n\
             print(f\"footprint {{ext.round(3)}} m, height {{h:.3f}} m\")\n\
             size = {}\nReturnAnswer(round(size * 100, 1))",
            if longest {
                "max(float(ext[0]), float(ext[1]), h)"
            } else {
                "h"
            }
        ),
        give_up: guess_number("80"),
    }
}

fn room() -> Plan {
    Plan {
        family: Family::RoomSize,
        goal: "floor area of the room".into(),
        why_gather: "The walls bound the floor. I reconstruct frames spread over the whole \
                     input and collect the wall points they see."
            .into(),
        why_answer: "The walls form a rectangle; the smallest upright box around the wall \
                     points has the room's width and depth."
            .into(),
        gather: "frames, recon, pts = _gather([\"wall\"], k=16)".into(),
        answer: "_, ext, _ = _box(pts[\"wall\"])\narea = float(ext[0] * ext[1])\n\
                 print(f\"room {ext[0]:.2f} m x {ext[1]:.2f} m = {area:.2f} m^2\")\nReturnAnswer(round(area, 1))"
            .into(),
        give_up: guess_number("20"),
    }
}

fn closest_to(x: &str, opts: &[(String, String)], labels: &[String]) -> Plan {
    let lx = py_str(x);
    let mut all = vec![x.to_string()];
    all.extend(labels.iter().cloned());
    Plan {
        family: Family::RelativeDistance,
        goal: format!("which option is closest to the {}", prose(x)),
        why_gather: "Closest-point distances need the 3D points of the target and of every option."
            .into(),
        why_answer: "A KD-tree on the target's points gives each option's smallest point-to-point \
                     distance; the option with the smallest one is closest."
            .into(),
        gather: format!("frames, recon, pts = _gather({}, k=8)", py_list(&all)),
        answer: format!(
            "{}tree = scipy.spatial.cKDTree(pts[{lx}])\ndist = {{}}\n\
             for lab in {}:\n    if len(pts[lab]):\n        dist[lab] = float(tree.query(pts[lab], k=1)[0].min())\n\
             print(\"closest-point distances:\", {{k: round(v, 3) for k, v in dist.items()}})\n\
             ReturnAnswer(_letter(min(dist, key=dist.get)))",
            py_options(opts),
            py_list(labels)
        ),
        give_up: GUESS_LETTER.into(),
    }
}

fn left_right(a: &str, b: &str, opts: &[(String, String)]) -> Plan {
    let (la, lb) = (py_str(a), py_str(b));
    Plan {
        family: Family::RelativeDirection,
        goal: format!(
            "whether the {} is left or right of the {}",
            prose(a),
            prose(b)
        ),
        why_gather: "Left and right are measured along the camera's right axis, so I need both \
                     objects in 3D together with the camera pose."
            .into(),
        why_answer: "Projecting each centre on the camera's right axis (pose column 0) orders \
                     them from left to right."
            .into(),
        gather: format!("frames, recon, pts = _gather([{la}, {lb}], k=1)"),
        answer: format!(
            "{}fi = InputImages[0].frame_index\npose = recon.extrinsics[fi]\n\
             xa = float(np.dot(_box(pts[{la}])[0] - pose[:3, 3], pose[:3, 0]))\n\
             xb = float(np.dot(_box(pts[{lb}])[0] - pose[:3, 3], pose[:3, 0]))\n\
             print(f\"right-coordinates: {{xa:.2f}} vs {{xb:.2f}}\")\n\
             ReturnAnswer(_letter(\"left\" if xa < xb else \"right\"))",
            py_options(opts)
        ),
        give_up: GUESS_LETTER.into(),
    }
}

fn quadrant_last(a: &str, opts: &[(String, String)]) -> Plan {
    let la = py_str(a);
    Plan {
        family: Family::RelativeDirection,
        goal: format!("where the {} is relative to the camera at the last frame", prose(a)),
        why_gather: "The object may be out of view at the end, so I locate it in 3D from every \
                     frame where it is visible; the reconstruction also gives the last camera's pose."
            .into(),
        why_answer: "In the last camera's frame, the forward (column 2) and right (column 0) \
                     components of the object's centre give its quadrant."
            .into(),
        gather: format!("frames, recon, pts = _gather([{la}])"),
        answer: format!(
            "{}fi = InputImages[len(InputImages) - 1].frame_index\npose = recon.extrinsics[fi]\n\
             rel = _box(pts[{la}])[0] - pose[:3, 3]\n\
             fwd, right = float(rel @ pose[:3, 2]), float(rel @ pose[:3, 0])\n\
             print(f\"forward {{fwd:.2f}} m, right {{right:.2f}} m\")\n\
             q = (\"front\" if fwd > 0 else \"back\") + \"-\" + (\"right\" if right > 0 else \"left\")\n\
             ReturnAnswer(_letter(q))",
            py_options(opts)
        ),
        give_up: GUESS_LETTER.into(),
    }
}

fn allocentric(a: &str, b: &str, c: &str, opts: &[(String, String)]) -> Plan {
    let (la, lb, lc) = (py_str(a), py_str(b), py_str(c));
    Plan {
        family: Family::AllocentricDirection,
        goal: format!(
            "the {}'s quadrant seen from the {} facing the {}",
            prose(c),
            prose(a),
            prose(b)
        ),
        why_gather: "The question fixes a viewpoint in the room, so I need the three objects' \
                     positions on the floor plane."
            .into(),
        why_answer: "Facing direction f = B - A on the floor; right is f rotated clockwise \
                     (seen from above); the target's components along f and right give the quadrant."
            .into(),
        gather: format!("frames, recon, pts = _gather([{la}, {lb}, {lc}])"),
        answer: format!(
            "{}pa, pb, pc = (_box(pts[l])[0] for l in ({la}, {lb}, {lc}))\n\
             f = (pb - pa)[[0, 2]]\nf = f / np.linalg.norm(f)\nright = np.array([-f[1], f[0]])\n\
             rel = (pc - pa)[[0, 2]]\nfwd, rt = float(rel @ f), float(rel @ right)\n\
             print(f\"forward {{fwd:.2f}} m, right {{rt:.2f}} m\")\n\
             q = (\"front\" if fwd > 0 else \"back\") + \"-\" + (\"right\" if rt > 0 else \"left\")\n\
             ReturnAnswer(_letter(q))",
            py_options(opts)
        ),
        give_up: GUESS_LETTER.into(),
    }
}

fn order(labels: &[String], opts: &[(String, String)]) -> Plan {
    let ll = py_list(labels);
    Plan {
        family: Family::AppearanceOrder,
        goal: "order in which the objects first appear".into(),
        why_gather: "I segment each object in every frame, in time order, and note the first \
                     absolute frame index where it shows a real mask (100+ pixels)."
            .into(),
        why_answer: "Sorting the objects by their first frame gives the order of appearance."
            .into(),
        gather: format!(
            "first, shown = {{}}, None\nfor lab in {ll}:\n    first[lab] = None\n    \
             for img in InputImages:\n        masks, seg = _masks(img, lab)\n        \
             if masks and masks[0].sum() >= 100:\n            first[lab] = img.frame_index\n            \
             if shown is None:\n                shown = seg.visualize(img.frame_index)\n            break\n    \
             print(lab, \"first seen at frame\", first[lab])\n    if first[lab] is None:\n        \
             print(\"MISSING:\", lab)\nif shown is not None:\n    show(shown, label=\"first sighting\")"
        ),
        answer: format!(
            "{}order = sorted({ll}, key=lambda l: first[l])\nprint(\"order:\", order)\n\
             ReturnAnswer(_letter(\", \".join(order)))",
            py_options(opts)
        ),
        give_up: GUESS_LETTER.into(),
    }
}

const CAMERA_GATHER: &str = "frames = _spread(InputImages, 8)\nrecon = tools.Reconstruct.Reconstruct(frames)\n\
fis = [f.frame_index for f in frames]\nfor fi in fis:\n    print(fi, recon.extrinsics[fi][:3, 3].round(3))\n\
try:\n    show(recon.render_bev(), label=\"camera path, top view\")\nexcept Exception as exc:\n    print(\"no top view:\", exc)";

fn displacement() -> Plan {
    Plan {
        family: Family::CameraDisplacement,
        goal: "straight-line distance the camera moved".into(),
        why_gather: "Camera positions are the translation column of the reconstructed poses."
            .into(),
        why_answer: "The displacement is the distance between the first and last camera positions."
            .into(),
        gather: CAMERA_GATHER.into(),
        answer: "p0 = recon.extrinsics[fis[0]][:3, 3]\np1 = recon.extrinsics[fis[-1]][:3, 3]\n\
                 d = float(np.linalg.norm(p1 - p0))\nprint(f\"moved {d:.3f} m\")\nReturnAnswer(round(d, 2))"
            .into(),
        give_up: guess_number("2.0"),
    }
}

fn rotation(opts: &[(String, String)]) -> Plan {
    // "about 55 degrees to the left" -> (letter, 55, "left")
    let turns: Vec<String> = opts
        .iter()
        .filter_map(|(l, t)| {
            let deg: f64 = between(t, "about ", " degrees")?.parse().ok()?;
            let side = if t.ends_with("right") {
                "right"
            } else {
                "left"
            };
            Some(format!("({}, {deg}, \"{side}\")", py_str(l)))
        })
        .collect();
    Plan {
        family: Family::CameraRotation,
        goal: "how far and which way the camera turned".into(),
        why_gather: "The camera's viewing direction is column 2 of each reconstructed pose."
            .into(),
        why_answer: "The signed angle between the first and last viewing directions on the floor \
                     plane (positive towards the first camera's right) gives size and side of the turn."
            .into(),
        gather: CAMERA_GATHER.into(),
        answer: format!(
            "P0, P1 = recon.extrinsics[fis[0]], recon.extrinsics[fis[-1]]\n\
             def _flat(v):\n    v = np.array([v[0], 0.0, v[2]])\n    return v / np.linalg.norm(v)\n\
             f0, r0, f1 = _flat(P0[:3, 2]), _flat(P0[:3, 0]), _flat(P1[:3, 2])\n\
             turn = float(np.degrees(np.arctan2(f1 @ r0, f1 @ f0)))\n\
             side = \"right\" if turn > 0 else \"left\"\nprint(f\"turned {{abs(turn):.1f}} degrees to the {{side}}\")\n\
             TURNS = [{}]\n\
             best = min((abs(deg - abs(turn)), letter) for letter, deg, s in TURNS if s == side)\n\
             ReturnAnswer(best[1])",
            turns.join(", ")
        ),
        give_up: GUESS_LETTER.into(),
    }
}

fn motion(a: &str, opts: &[(String, String)]) -> Plan {
    let la = py_str(a);
    Plan {
        family: Family::MotionDirection,
        goal: format!("direction in which the {} moves", prose(a)),
        why_gather: "I locate the object in 3D in the first and the last frame.".into(),
        why_answer: "Its displacement expressed in the first camera's frame (right = column 0, \
                     forward = column 2) tells left/right versus towards/away."
            .into(),
        gather: format!(
            "frames = [InputImages[0], InputImages[len(InputImages) - 1]]\n\
             recon = tools.Reconstruct.Reconstruct(frames)\ncents = []\n\
             for img in frames:\n    p, vis = _points(recon, [img], {la})\n    \
             cents.append(np.median(p, axis=0) if len(p) else None)\n    \
             print(img.frame_index, None if cents[-1] is None else cents[-1].round(3))\n    \
             if vis is not None:\n        show(vis, label=f\"frame {{img.frame_index}}\")\n\
             if any(c is None for c in cents):\n    print(\"MISSING:\", {la})"
        ),
        answer: format!(
            "{}pose = recon.extrinsics[frames[0].frame_index]\nd = cents[1] - cents[0]\n\
             x, z = float(d @ pose[:3, 0]), float(d @ pose[:3, 2])\n\
             print(f\"moved {{x:.2f}} m right, {{z:.2f}} m forward\")\n\
             if abs(x) > abs(z):\n    ans = \"to the right\" if x > 0 else \"to the left\"\n\
             else:\n    ans = \"away from the camera\" if z > 0 else \"towards the camera\"\n\
             ReturnAnswer(_letter(ans))",
            py_options(opts)
        ),
        give_up: GUESS_LETTER.into(),
    }
}

fn views(a: &str, opts: &[(String, String)]) -> Plan {
    let la = py_str(a);
    Plan {
        family: Family::MultiviewCorrespondence,
        goal: format!("which views show the {}", prose(a)),
        why_gather: "I segment the object in each view and note the mask area.".into(),
        why_answer: "Views with a real mask (100+ pixels) show the object.".into(),
        gather: format!(
            "seen, shown = [], None\nfor k, img in enumerate(InputImages):\n    \
             masks, seg = _masks(img, {la})\n    area = int(masks[0].sum()) if masks else 0\n    \
             print(f\"view {{k + 1}}: {{area}} pixels\")\n    if area >= 100:\n        seen.append(k + 1)\n        \
             if shown is None:\n            shown = seg.visualize(img.frame_index)\n\
             if shown is None:\n    print(\"MISSING:\", {la})\nelse:\n    show(shown, label=\"first view with it\")"
        ),
        answer: format!(
            "{}text = f\"view {{seen[0]}} only\" if len(seen) == 1 else \"views \" + \", \".join(map(str, seen))\n\
             print(text)\nReturnAnswer(_letter(text))",
            py_options(opts)
        ),
        give_up: GUESS_LETTER.into(),
    }
}

fn highest(opts: &[(String, String)], labels: &[String]) -> Plan {
    Plan {
        family: Family::HeightComparison,
        goal: "which option reaches highest above the floor".into(),
        why_gather: "Heights above the floor are the Y coordinates of the objects' world points \
                     (floor at Y = 0)."
            .into(),
        why_answer: "The object with the largest top Y reaches highest.".into(),
        gather: format!("frames, recon, pts = _gather({}, k=8)", py_list(labels)),
        answer: format!(
            "{}tops = {{lab: float(p[:, 1].max()) for lab, p in pts.items() if len(p)}}\n\
             print(\"tops:\", {{k: round(v, 3) for k, v in tops.items()}})\n\
             ReturnAnswer(_letter(max(tops, key=tops.get)))",
            py_options(opts)
        ),
        give_up: GUESS_LETTER.into(),
    }
}
