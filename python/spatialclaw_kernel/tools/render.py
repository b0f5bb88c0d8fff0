"""Rendering behind PerFrameMask.visualize (PIL + numpy, fast) and Reconstruction.render_bev
(matplotlib's object API: no pyplot, so the agent's own plt figures are never touched)."""

import functools

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from ..types import abbreviate, to_pil
from .common import resize_nearest

_CROSS = ndimage.generate_binary_structure(2, 1)


@functools.lru_cache(maxsize=8)
def _font(size):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType sizes
        return ImageFont.load_default()


def _palette(n):
    import matplotlib
    cmap = matplotlib.colormaps["gist_rainbow"].resampled(max(n, 1))
    return [np.array(cmap(i)[:3]) * 255.0 for i in range(n)]


def figure_to_image(fig):
    """Rasterise a matplotlib Figure (Agg) to an RGB PIL image of exactly its pixel size."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    return Image.fromarray(np.ascontiguousarray(rgba[..., :3]))


def render_masks(masks, labels, object_ids, background=None):
    """Colour overlay of masks (N, H, W) bool on `background` (resized to W x H; grey if None)."""
    n, h, w = masks.shape
    if background is None:
        base = np.full((h, w, 3), 128.0)
    else:
        bg = to_pil(background, "background")
        if bg.mode != "RGB":
            bg = bg.convert("RGB")
        if bg.size != (w, h):
            bg = bg.resize((w, h), Image.LANCZOS)
        base = np.asarray(bg, dtype=np.float64).copy()
    colours = _palette(n)
    tags = []
    for i in range(n):
        m = masks[i]
        rows = np.flatnonzero(m.any(axis=1))
        if rows.size == 0:
            continue  # empty masks are not drawn
        cols = np.flatnonzero(m.any(axis=0))
        # Work inside the object's padded bounding box only.
        r0, r1 = max(rows[0] - 3, 0), min(rows[-1] + 4, h)
        c0, c1 = max(cols[0] - 3, 0), min(cols[-1] + 4, w)
        sub = m[r0:r1, c0:c1]
        win = base[r0:r1, c0:c1]
        win[sub] = 0.5 * win[sub] + 0.5 * colours[i]
        edge = sub & ~ndimage.binary_erosion(sub, _CROSS, border_value=0)
        edge = ndimage.binary_dilation(edge, _CROSS) & ~ndimage.binary_erosion(sub, _CROSS, 2)
        win[edge] = 0.2 * win[edge] + 0.8 * 255.0
        ys, xs = np.nonzero(sub)
        tags.append((f"{object_ids[i]}: {labels[i]}", xs.mean() + c0, ys.mean() + r0, colours[i]))
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    if tags:
        draw = ImageDraw.Draw(img)
        font = _font(max(10, min(h, w) // 30))
        for text, x, y, col in tags:
            l, t, r, b = draw.textbbox((0, 0), text, font=font)
            tw, th = r - l, b - t
            x0 = int(np.clip(x - tw / 2, 0, max(w - tw - 6, 0)))
            y0 = int(np.clip(y - th / 2, 0, max(h - th - 6, 0)))
            fill = tuple(int(c) for c in col)
            ink = (0, 0, 0) if 0.299 * col[0] + 0.587 * col[1] + 0.114 * col[2] > 140 else \
                (255, 255, 255)
            draw.rounded_rectangle((x0, y0, x0 + tw + 6, y0 + th + 6), radius=4, fill=fill)
            draw.text((x0 + 3 - l, y0 + 3 - t), text, fill=ink, font=font)
    return img


# ----------------------------------------------------------------------------- BEV helpers

def _mad_keep(uv):
    """Keep points within 3 MAD of the median on each axis (axes with MAD <= 1e-8 ignored)."""
    med = np.median(uv, axis=0)
    dev = np.abs(uv - med)
    mad = np.median(dev, axis=0)
    keep = np.ones(len(uv), dtype=bool)
    for a in range(2):
        if mad[a] > 1e-8:
            keep &= dev[:, a] <= 3.0 * mad[a]
    return keep


def _min_area_rect(uv):
    """Corners (4, 2) of the minimum-area rectangle around the points (rotating calipers)."""
    if len(uv) >= 3:
        try:
            from scipy.spatial import ConvexHull
            hull = uv[ConvexHull(uv).vertices]
            edges = np.diff(np.vstack([hull, hull[:1]]), axis=0)
            angles = np.unique(np.mod(np.arctan2(edges[:, 1], edges[:, 0]), np.pi / 2))
            best = None
            for a in angles:
                c, s = np.cos(a), np.sin(a)
                rot = hull @ np.array([[c, -s], [s, c]])  # into the edge-aligned frame
                lo, hi = rot.min(axis=0), rot.max(axis=0)
                area = np.prod(hi - lo)
                if best is None or area < best[0]:
                    best = (area, a, lo, hi)
            _, a, lo, hi = best
            c, s = np.cos(a), np.sin(a)
            box = np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
            return box @ np.array([[c, s], [-s, c]])
        except Exception:  # degenerate (collinear) points: axis-aligned fallback
            pass
    lo, hi = uv.min(axis=0), uv.max(axis=0)
    return np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])


def _direction_words(d):
    du, dv = float(d[0]), float(d[1])
    words = []
    if abs(dv) > 0.3 * abs(du) and dv != 0:
        words.append("forward" if dv > 0 else "backward")
    if abs(du) > 0.3 * abs(dv) and du != 0:
        words.append("right" if du > 0 else "left")
    return "-".join(words) or "stationary"


def _erode_cross(mask, iterations):
    """Binary erosion by a 3x3 cross (outside the image counts as False), via array shifts:
    much faster than a generic structuring-element pass on large masks."""
    m = mask
    for _ in range(iterations):
        e = m.copy()
        e[1:] &= m[:-1]
        e[:-1] &= m[1:]
        e[:, 1:] &= m[:, :-1]
        e[:, :-1] &= m[:, 1:]
        e[0] = e[-1] = False
        e[:, 0] = e[:, -1] = False
        m = e
    return m


def _erode(mask):
    """Drop boundary pixels (where depth bleeds between surfaces) unless too little remains."""
    er = _erode_cross(mask, 3)
    return er if np.count_nonzero(er) >= 0.1 * np.count_nonzero(mask) else mask


def _resolve_ref(recon, ref_frame):
    from ..per_frame import as_frame_index
    r = as_frame_index(ref_frame, "render_bev(ref_frame=...)")
    if r in recon._pos:
        return recon._pos[r]
    n = recon.num_frames
    if -n <= r < n:  # not an absolute index: read it as a position (0 = first frame)
        return r % n
    raise KeyError(f"render_bev: ref_frame={r} is neither an absolute frame of this "
                   f"reconstruction {abbreviate(recon.frame_indices)} nor a position "
                   f"0..{n - 1}")


def _mask_pairs(recon, masks, labels):
    """(mask array (T, N_obj, H, W), labels, [(mask position, recon position)])."""
    from ..per_frame import PerFrameMask
    if isinstance(masks, PerFrameMask):
        arr, mframes = masks.masks, masks.frame_indices
        labels = list(masks.labels) if labels is None else list(labels)
        pairs = [(t, recon._pos[f]) for t, f in enumerate(mframes) if f in recon._pos]
        if not pairs:
            raise ValueError(
                f"render_bev: the masks' frames {abbreviate(mframes)} share no frame with the "
                f"reconstruction's {abbreviate(recon.frame_indices)}. Segment frames that were "
                f"reconstructed (masks are matched to reconstruction frames by absolute index).")
    else:
        arr = np.asarray(masks).astype(bool, copy=False)
        if arr.ndim != 4:
            raise ValueError(f"render_bev: masks must be a PerFrameMask or a bool array "
                             f"(T, N_obj, H, W); got shape {arr.shape}")
        if arr.shape[0] != recon.num_frames:
            raise ValueError(
                f"render_bev: a raw mask array has no frame indices, so it needs one entry per "
                f"reconstruction frame ({recon.num_frames}); got {arr.shape[0]}. Pass the "
                f"PerFrameMask instead.")
        labels = [f"obj_{i}" for i in range(arr.shape[1])] if labels is None else list(labels)
        pairs = [(t, t) for t in range(arr.shape[0])]
    if len(labels) < arr.shape[1]:
        labels += [f"obj_{i}" for i in range(len(labels), arr.shape[1])]
    return arr, labels, pairs


def _object_tracks(recon, arr, pairs, to_uv, conf_threshold, max_pts=4000):
    """Per object: (pooled filtered (u, v) points or None, per-frame centroids
    [(recon pos, uv)], median per-frame footprint diagonal)."""
    pts_all, conf_all = recon.points.points, recon.points.confidence
    hw = pts_all.shape[1:3]
    out = []
    for o in range(arr.shape[1]):
        pooled, cents, sizes = [], [], []
        for t, rp in pairs:
            m = arr[t, o]
            if m.shape != hw:
                m = resize_nearest(m, hw)
            rows = np.flatnonzero(m.any(axis=1))
            if rows.size == 0:
                continue
            cols = np.flatnonzero(m.any(axis=0))
            # work inside the mask's bounding box (padded for the erosion)
            win = (slice(max(rows[0] - 4, 0), rows[-1] + 5),
                   slice(max(cols[0] - 4, 0), cols[-1] + 5))
            m = _erode(m[win]) & (conf_all[rp][win] > conf_threshold)
            r, c = np.nonzero(m)
            if len(r) > max_pts:  # plenty for medians and hulls; keeps big scenes fast
                step = len(r) // max_pts + 1
                r, c = r[::step], c[::step]
            xyz = pts_all[rp][win][r, c]
            xyz = xyz[np.isfinite(xyz).all(axis=1)]
            if len(xyz) == 0:
                continue
            uv = to_uv(xyz)
            pooled.append(uv)
            if len(uv) >= 10:
                kept = uv[_mad_keep(uv)]
                if len(kept) >= 4:
                    cents.append((rp, np.median(kept, axis=0)))
                    sizes.append(np.linalg.norm(kept.max(axis=0) - kept.min(axis=0)))
        uv = np.concatenate(pooled) if pooled else np.zeros((0, 2))
        if len(uv) > 10:
            uv = uv[_mad_keep(uv)]
        out.append((uv if len(uv) >= 4 else None, cents,
                    float(np.median(sizes)) if sizes else 0.0))
    return out


def render_bev(recon, masks=None, labels=None, prompts=None, conf_threshold=0.1, ref_frame=0,
               ego_trajectory=True):
    """See Reconstruction.render_bev."""
    if prompts is not None and masks is None:
        raise RuntimeError(
            "render_bev(prompts=...) is not supported: segment first, e.g. "
            "seg = tools.SAM3.segment_image_by_text(InputImages[k], 'chair'), then "
            "recon.render_bev(masks=seg).")
    from matplotlib.collections import LineCollection
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.figure import Figure
    from matplotlib.patches import Polygon

    from ..types import VisualFeedback

    poses = recon.extrinsics.camera_poses
    n = recon.num_frames
    ref = _resolve_ref(recon, ref_frame)
    ref_fi = recon.frame_indices[ref]
    pose = poses[ref]
    fwd = pose[[0, 2], 2]
    if np.linalg.norm(fwd) < 1e-6:  # camera looks straight down: image-up is "forward"
        fwd = -pose[[0, 2], 1]
    fwd = fwd / np.linalg.norm(fwd) if np.linalg.norm(fwd) > 1e-6 else np.array([0.0, -1.0])
    right = np.array([-fwd[1], fwd[0]])
    origin = pose[[0, 2], 3]
    basis = np.stack([right, fwd], axis=1)  # (2, 2): xz -> (u, v)

    def to_uv(xyz):
        return (np.asarray(xyz)[..., [0, 2]] - origin) @ basis

    def heading(p):
        d = p[[0, 2], 2] @ basis
        nd = np.linalg.norm(d)
        return d / nd if nd > 1e-6 else np.array([0.0, 1.0])

    cam_uv = to_uv(poses[:, :3, 3])
    fig = Figure(figsize=(8, 8), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    extent_pts = [cam_uv[ref][None]]
    notes, lines_desc = [], []
    wedges = []  # drawn after limits are known (their size depends on the span)

    if masks is not None:
        arr, labels, pairs = _mask_pairs(recon, masks, labels)
        tracks = _object_tracks(recon, arr, pairs, to_uv, conf_threshold)
        rb = LinearSegmentedColormap.from_list("red_blue", ["red", "blue"])
        import matplotlib
        tab10 = matplotlib.colormaps["tab10"]
        for o, (uv, cents, frame_size) in enumerate(tracks):
            label = labels[o]
            if uv is None:
                lines_desc.append(f"{label}: not drawn (too few confident 3D points in the "
                                  f"matched frames)")
                continue
            extent_pts.append(uv)
            diag = float(np.linalg.norm(uv.max(axis=0) - uv.min(axis=0)))
            cxy = np.array([c for _, c in cents]) if cents else np.zeros((0, 2))
            ratio = shift = 0.0
            if len(cxy) >= 2 and diag > 0:
                shift = float(np.linalg.norm(cxy[:, None] - cxy[None], axis=-1).max())
                ratio = shift / diag
            # Moving = the centroid travels a sizeable part of the pooled extent AND more than
            # half of what one view sees of the object: a static object's visible surface (and
            # so its centroid) drifts with the viewpoint by less than its own size.
            moving = ratio > 0.15 and shift > max(0.5 * frame_size, 0.1)
            if moving and len(cxy) >= 2 and n > 1:
                tpos = np.array([rp for rp, _ in cents], dtype=float) / max(n - 1, 1)
                segs = np.stack([cxy[:-1], cxy[1:]], axis=1)
                lens = np.linalg.norm(segs[:, 1] - segs[:, 0], axis=1)
                good = np.ones(len(segs), dtype=bool)
                if len(segs) >= 5:  # drop tracking glitches: implausibly long jumps
                    med = np.median(lens)
                    mad = np.median(np.abs(lens - med))
                    good = lens <= max(med + 5 * mad, 5 * med)
                lc = LineCollection(segs[good], cmap=rb, linewidths=2.5)
                lc.set_array(tpos[:-1][good])
                lc.set_clim(0, 1)
                ax.add_collection(lc)
                last = segs[good][-1] if good.any() else segs[-1]
                ax.annotate("", xy=last[1], xytext=last[0],
                            arrowprops=dict(arrowstyle="-|>", color="blue", lw=2))
                ax.plot(*cxy[0], "o", color="red", ms=6)
                direction = _direction_words(cxy[-1] - cxy[0])
                mid = cxy[len(cxy) // 2]
                ax.text(mid[0], mid[1], f" {label} → {direction}", fontsize=9,
                        color="black", weight="bold")
                extent_pts.append(cxy)
                lines_desc.append(
                    f"{label}: moving {direction}, from ({cxy[0][0]:+.2f}, {cxy[0][1]:.2f}) to "
                    f"({cxy[-1][0]:+.2f}, {cxy[-1][1]:.2f}) m (right, forward)")
            else:
                col = tab10(o % 10)
                rect = _min_area_rect(uv)
                ax.add_patch(Polygon(rect, closed=True, fill=True, alpha=0.35, color=col,
                                     label=label))
                ax.add_patch(Polygon(rect, closed=True, fill=False, lw=2, color=col))
                top = rect[np.argmax(rect[:, 1])]
                ax.text(top[0], top[1], f" {label}", fontsize=9, color="black",
                        weight="bold", va="bottom")
                c = np.median(uv, axis=0)
                size = np.sort(np.linalg.norm(np.diff(rect[:3], axis=0), axis=1))
                lines_desc.append(f"{label}: {abs(c[0]):.2f} m {'right' if c[0] >= 0 else 'left'}"
                                  f", {abs(c[1]):.2f} m {'ahead' if c[1] >= 0 else 'behind'}, "
                                  f"footprint ≈ {size[1]:.2f} × {size[0]:.2f} m")
        notes.append("Objects: stationary ones as boxes, moving ones as red→blue paths of "
                     "their centroids (arrow = latest).")

    if ego_trajectory and n > 1:
        extent_pts.append(cam_uv)
        if recon._is_video:
            segs = np.stack([cam_uv[:-1], cam_uv[1:]], axis=1)
            gy = LinearSegmentedColormap.from_list("green_yellow", ["green", "gold"])
            lc = LineCollection(segs, cmap=gy, linewidths=2, linestyles="dashed")
            lc.set_array(np.arange(n - 1) / max(n - 2, 1))
            ax.add_collection(lc)
            ax.plot(*cam_uv[0], "o", color="green", ms=7, label="Ego start")
            ax.annotate("", xy=cam_uv[-1], xytext=cam_uv[-2],
                        arrowprops=dict(arrowstyle="-|>", color="gold", lw=2))
            notes.append("Camera path: dashed green→yellow line from the first to the last "
                         "frame.")
        else:
            for i in range(n):
                if i != ref:
                    wedges.append((cam_uv[i], heading(poses[i]), "tab:blue", 1.0,
                                   f"frame {recon.frame_indices[i]}"))
            notes.append("Other cameras: blue wedges labelled with their frame index.")
    wedges.append((cam_uv[ref], np.array([0.0, 1.0]), "red", 1.6, f"Camera (frame {ref_fi})"))

    pts = np.concatenate(extent_pts)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre = (lo + hi) / 2
    span = max(float(np.max(hi - lo)) * 1.15, 1.0)
    for pos, head, col, scale, text in wedges:
        length = 0.05 * span * scale
        side = np.array([-head[1], head[0]])
        tip = np.tan(np.radians(30))
        tri = np.array([pos, pos + length * (head + tip * side),
                        pos + length * (head - tip * side)])
        ax.add_patch(Polygon(tri, closed=True, color=col, alpha=0.8))
        ax.text(pos[0], pos[1] - 0.02 * span, text, fontsize=8, color=col, ha="center", va="top")

    ax.set_xlim(centre[0] - span / 2, centre[0] + span / 2)
    ax.set_ylim(centre[1] - span / 2, centre[1] + span / 2)
    ax.set_aspect("equal", adjustable="box")
    ax.grid(True, alpha=0.3)
    ax.set_xlabel(f"← left   |   right → (metres, camera of frame {ref_fi})")
    ax.set_ylabel(f"Camera (frame {ref_fi}) forward → (metres)")
    for x, y, t, ha, va in ((0.5, 0.99, "FORWARD", "center", "top"),
                            (0.5, 0.01, "BEHIND", "center", "bottom"),
                            (0.01, 0.5, "LEFT", "left", "center"),
                            (0.99, 0.5, "RIGHT", "right", "center")):
        ax.text(x, y, t, transform=ax.transAxes, ha=ha, va=va, fontsize=9, color="gray")
    handles, _ = ax.get_legend_handles_labels()
    if handles:
        ax.legend(loc="upper right", fontsize=8)
    ax.set_title("Bird's eye view (top-down)")
    image = figure_to_image(fig)

    desc = [f"Bird's eye view (top-down): the camera of frame {ref_fi} is at the bottom looking "
            f"upward; up = its forward, right = its right, units metres."]
    desc += notes
    if lines_desc:
        desc.append("Objects (relative to that camera): " + "; ".join(lines_desc) + ".")
    return VisualFeedback(image, source="Reconstruction.render_bev", description=" ".join(desc),
                          frame_index=ref_fi)
