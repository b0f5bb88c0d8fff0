//! Legitimate agent cells must pass untouched: a false positive costs the agent a step and teaches
//! it to distrust the messages. Each entry is the kind of cell the agent writes for spatial
//! questions (numpy/scipy geometry, perception tools, plotting), plus the original checker's
//! known false positives.

use spatialclaw_lint::{Policy, check_syntax, lint};

const CORPUS: &[&str] = &[
    // 1. First look at the inputs.
    r#"print(len(InputImages), Metadata)
show(InputImages[0], label="first frame")
"#,
    // 2. Segment by text and measure.
    r#"masks = tools.SAM3.segment_image_by_text(InputImages[0], "chair", confidence_threshold=0.25)
print(masks)
m = masks[0][0]
print("area", tools.Mask.area(m), "centroid", tools.Mask.centroid(m))
"#,
    // 3. Import a tool function directly.
    r#"from tools.SAM3 import segment_image_by_text
from tools import Geometry
heater = segment_image_by_text(InputImages[2], "heater")
door = segment_image_by_text(InputImages[2], "door")
"#,
    // 4. Reconstruction and 3D distances.
    r#"recon = Reconstruct.Reconstruct(InputImages[::4])
pts = recon.points
print(pts.shape, recon.extrinsics.shape)
d = np.linalg.norm(pts[0, 100, 120] - pts[0, 200, 240])
print(f"distance: {d:.2f} m")
"#,
    // 5. scipy.spatial under an alias.
    r#"import scipy.spatial as sp
tree = sp.cKDTree(cloud)
dist, idx = tree.query(query_pts, k=1)
hull = sp.ConvexHull(cloud[:, [0, 2]])
print(hull.volume)
"#,
    // 6. Regular expressions: `re.compile` is not the builtin compile.
    r#"import re
pattern = re.compile(r"(\d+(?:\.\d+)?)\s*m")
match = pattern.search(answer_text)
value = float(match.group(1)) if match else None
"#,
    // 7. `.eval()` on an object is not the builtin eval.
    r#"class Model:
    def eval(self):
        return self
    def compile(self):
        return "compiled"
model = Model()
model.eval()
print(model.compile())
"#,
    // 8. Strings mentioning "open (" and file words are just strings.
    r#"state = "door open (closed)"
note = "the drawer is open (partly) and we .read( the label"
print(state, note.upper())
"#,
    // 9. f-strings and format specs.
    r#"for i, (x, y) in enumerate(zip(xs, ys)):
    print(f"{i:02d}: x={x:.3f} y={y:.3f} ratio={x / max(y, 1e-9):.2%}")
print("{} objects, mean {:.2f}".format(len(xs), np.mean(xs)))
print("{0.shape} {1}".format(arr, arr.dtype))
"#,
    // 10. Comprehensions and generator expressions.
    r#"areas = {label: int(m.sum()) for label, m in zip(labels, masks)}
big = [k for k, v in areas.items() if v > 500]
total = sum(v for v in areas.values())
pairs = {(a, b) for a in big for b in big if a < b}
"#,
    // 11. Classes with __init__, super().__init__(), __repr__.
    r#"class Box:
    def __init__(self, x1, y1, x2, y2):
        self.x1, self.y1, self.x2, self.y2 = x1, y1, x2, y2
    def __repr__(self):
        return f"Box({self.x1}, {self.y1}, {self.x2}, {self.y2})"
    def area(self):
        return (self.x2 - self.x1) * (self.y2 - self.y1)

class LabeledBox(Box):
    def __init__(self, label, *coords):
        super().__init__(*coords)
        self.label = label

b = LabeledBox("sofa", 0, 0, 10, 20)
print(b, b.area(), type(b).__name__, b.__class__.__name__)
"#,
    // 12. Dataclasses.
    r#"from dataclasses import dataclass, field, asdict
from typing import List, Optional

@dataclass
class Track:
    label: str
    frames: List[int] = field(default_factory=list)
    score: Optional[float] = None

t = Track("person", [1, 2, 3])
print(asdict(t))
"#,
    // 13. Plotting.
    r#"fig, axes = plt.subplots(1, 2, figsize=(10, 4))
axes[0].imshow(np.asarray(InputImages[0]))
axes[0].set_title("frame 0")
axes[1].plot(depths, marker="o")
axes[1].set_xlabel("frame")
plt.tight_layout()
plt.show()
"#,
    // 14. scipy.ndimage and optimize (pre-imported names).
    r#"labeled, n = ndimage.label(mask)
sizes = ndimage.sum(mask, labeled, range(1, n + 1))
res = optimize.minimize(lambda p: np.sum((A @ p - b) ** 2), x0=np.zeros(3))
print(n, sizes, res.x)
"#,
    // 15. scipy.signal bound as `signal` by the kernel.
    r#"smoothed = signal.savgol_filter(heights, 7, 2)
peaks, _ = signal.find_peaks(smoothed, distance=5)
print(peaks)
"#,
    // 16. Camera math.
    r#"K = np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1]], dtype=float)
c2w = recon.extrinsics[0]
w2c = np.linalg.inv(c2w)
p_cam = w2c[:3, :3] @ p_world + w2c[:3, 3]
u, v = (K @ p_cam)[:2] / p_cam[2]
uv = tools.Geometry.project_point_to_camera(p_world, c2w, fx, fy, cx, cy)
"#,
    // 17. Ground plane fit and angles.
    r#"normal, inliers = tools.Geometry.fit_ground_plane_ransac(pts, conf)
if normal is not None:
    up = np.array([0.0, 1.0, 0.0])
    angle = tools.Geometry.angle_between_vectors(normal, up)
    print(f"tilt {angle:.1f} deg")
"#,
    // 18. Time helpers and video frames.
    r#"t0 = tools.Time.frame_to_seconds(12)
frame = tools.Time.seconds_to_frame(3.5)
print(Metadata.fps, Metadata.total_frames, t0, frame)
"#,
    // 19. VLM questions.
    r#"answer = vlm.ask(InputImages[5], "Is the door open or closed?")
loc = vlm.locate(InputImages[5], "the red mug")
print(answer, loc)
"#,
    // 20. Drawing and showing.
    r#"img = tools.Draw.draw_bbox(InputImages[0], [(10, 20, 110, 220)], colors="red")
img = tools.Draw.draw_point(img, [(60, 120)])
show(img, label="detections")
"#,
    // 21. Returning the answer.
    r#"dist = float(np.linalg.norm(a - b))
ReturnAnswer(round(dist, 2))
"#,
    // 22. getattr with literal names and known loop values.
    r#"w = getattr(Metadata, "width", None)
for key in ("fps", "total_frames"):
    print(key, getattr(Metadata, key, None))
print(hasattr(recon, "points"), hasattr(x, "__len__"))
"#,
    // 23. Shadowing builtin names with our own variables and functions.
    r#"def compile(parts):
    return " ".join(parts)

input = InputImages[0]
vars_ = {"a": 1}
print(compile(["a", "b"]), input.size)
def g(open):
    return open + 1
"#,
    // 24. Standard library helpers.
    r#"from collections import Counter, defaultdict, deque
import itertools, functools, heapq, bisect, statistics, math, json, copy, random
counts = Counter(labels)
groups = defaultdict(list)
for l, s in zip(labels, scores):
    groups[l].append(s)
best = heapq.nlargest(3, scores)
med = statistics.median(scores)
print(json.dumps(counts), math.hypot(3, 4), bisect.bisect(sorted(scores), 0.5))
rng = random.Random(0)
combos = list(itertools.combinations(range(4), 2))
f = functools.partial(max, default=0)
"#,
    // 25. PIL.
    r#"from PIL import Image, ImageDraw, ImageFont
img = InputImages[0].copy()
draw = ImageDraw.Draw(img)
draw.rectangle([10, 10, 50, 50], outline=(255, 0, 0), width=3)
crop = img.crop((0, 0, 100, 100)).resize((200, 200), Image.BILINEAR)
show(crop)
"#,
    // 26. numpy file I/O into scratch is left to the audit hook.
    r#"np.save("scratch/depth.npy", depth)
depth2 = np.load("scratch/depth.npy")
arr = np.load("scratch/depth.npy", allow_pickle=False)
"#,
    // 27. Exceptions, with/try, assertions.
    r#"try:
    masks = tools.SAM3.segment_image_by_text(InputImages[3], "lamp")
except RuntimeError as e:
    print("no lamp:", e)
    masks = None
else:
    assert masks is not None
finally:
    print("done")
"#,
    // 28. Lambdas, sorting, walrus.
    r#"objs = sorted(detections, key=lambda d: (d["score"], d["label"]), reverse=True)
if (n := len(objs)) > 3:
    print(f"{n} detections, top: {objs[0]['label']}")
near = list(filter(lambda p: np.linalg.norm(p) < 2.0, points))
"#,
    // 29. Module-level main guard and type names.
    r#"def main():
    print(type(InputImages[0]).__name__, np.__version__)
if __name__ == "__main__":
    main()
"#,
    // 30. Multi-video inputs.
    r#"a = InputImages_1[0]
b = InputImages_2[0]
show(a, b, label="start of both videos")
print(len(InputImages_1), len(InputImages_2))
"#,
    // 31. Match statement with ordinary class patterns.
    r#"match answer:
    case {"label": str(label), "score": float(score)} if score > 0.5:
        print(label)
    case [x, y]:
        print(x, y)
    case Point(x=0, y=yy):
        print(yy)
    case _:
        pass
"#,
    // 32. Generators and local functions with closures.
    r#"def frames_with(obj):
    def has(i):
        r = tools.SAM3.is_object_exist(InputImages[i], obj)
        return r["exists"][0]
    for i in range(0, len(InputImages), 8):
        if has(i):
            yield i
print(list(frames_with("bed")))
"#,
    // 33. Import runtime modules.
    r#"from __future__ import annotations
import tools
import tools.SAM3
from tools import SAM3, Mask
import feedback
import vlm
from feedback import show
import numpy as np
import matplotlib.pyplot as plt
from scipy.spatial.transform import Rotation as R
from scipy import ndimage, linalg, stats, interpolate
from math import pi, sqrt
"#,
    // 34. Variable called `signal` from scipy import; warnings.
    r#"import warnings
warnings.filterwarnings("ignore")
from scipy import signal
b, a = signal.butter(3, 0.1)
filtered = signal.filtfilt(b, a, xs)
"#,
    // 35. Methods named like kernel names inside a class, parameters named tools.
    r#"class Viz:
    def show(self, img):
        show(img)
    def tools(self):
        return []
def run(tools, vlm=None):
    return tools
Viz().show(InputImages[0])
"#,
    // 36. Writing into kernel data structures is the agent's own view.
    r#"InputImages[0].frame_index
Metadata_copy = dict(fps=Metadata.fps)
results = {}
results["tools"] = 1
"#,
    // 37. Interpolation, time and datetime.
    r#"import time
start = time.time()
from scipy.interpolate import interp1d
f = interp1d(ts, ys, kind="linear", fill_value="extrapolate")
print(f(2.5), time.time() - start)
"#,
    // 38. Global and nonlocal in ordinary code.
    r#"counter = 0
def bump():
    global counter
    counter += 1
def outer():
    total = 0
    def inner():
        nonlocal total
        total += 1
    inner()
    return total
bump(); print(counter, outer())
"#,
    // 39. help on objects and dir for discovery.
    r#"help(tools.SAM3)
print(dir(tools.Geometry))
help(np.linalg.norm)
"#,
    // 40. Prose with format-like braces and dunder words outside fields.
    r#"msg = "use obj.__class__ carefully; {count} items".format(count=3)
tmpl = "{name}: {value:.2f} ({unit})"
print(tmpl.format(name="width", value=1.234, unit="m"), msg)
"#,
];

#[test]
fn corpus_has_at_least_thirty_cells() {
    assert!(CORPUS.len() >= 30);
}

#[test]
fn legitimate_cells_are_clean() {
    let policy = Policy::default();
    for (i, cell) in CORPUS.iter().enumerate() {
        check_syntax(cell).unwrap_or_else(|e| panic!("cell {} has a syntax error:\n{e}", i + 1));
        let report = lint(cell, &policy);
        assert!(
            report.is_clean(),
            "cell {} was flagged:\n{cell}\n{}",
            i + 1,
            report.render()
        );
    }
}

#[test]
fn session_names_shadow_builtins() {
    // `input` was bound by an earlier cell; this cell only uses it.
    let code = "print(input.shape)\nx = input[0]\n";
    assert!(!lint(code, &Policy::default()).is_clean());
    let policy = Policy::default().with_session_names(["input"]);
    assert!(lint(code, &policy).is_clean());
}
