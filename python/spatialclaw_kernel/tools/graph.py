"""tools.Graph: line plots of per-frame measurements, returned as VisualFeedback."""

import numpy as np

from ..types import VisualFeedback


class GraphDrawer:
    """Plot a 1-D series (e.g. a distance per frame) to look at its trend."""

    def plot(self, values, validity=None, x_label="Frame", y_label="Value", title=None):
        """Line plot of `values` (1-D, x = position 0..T-1); returns VisualFeedback (1000x400).

        validity: optional bool array of the same length; False entries become gaps.
        The description states min, max, mean, first, last and the trend over valid values.
        Example: show(tools.Graph.plot(dists, y_label="distance (m)", title="Person to door"))
        """
        try:
            vals = np.array(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"plot: values must be numbers, got {type(values).__name__}") from None
        if vals.ndim == 0:
            raise ValueError("plot: values is a single number; pass a list or 1-D array, "
                             "e.g. [v]")
        if vals.ndim != 1:
            raise ValueError(f"plot: values must be 1-D, got shape {vals.shape}; plot one "
                             f"series at a time (e.g. values[:, 0])")
        if vals.size == 0:
            raise ValueError("plot: values is empty")
        valid = np.isfinite(vals)
        if validity is not None:
            v = np.asarray(validity, dtype=bool)
            if v.shape != vals.shape:
                raise ValueError(f"plot: validity has shape {v.shape} but values has "
                                 f"{vals.shape}")
            valid &= v
        shown = np.where(valid, vals, np.nan)

        from matplotlib.figure import Figure
        from .render import figure_to_image
        fig = Figure(figsize=(10, 4), dpi=100)
        ax = fig.add_subplot(1, 1, 1)
        ax.plot(np.arange(vals.size), shown, "-o", ms=3, lw=1.5)
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        ax.grid(True, alpha=0.3)
        if title:
            ax.set_title(title)
        fig.tight_layout()
        image = figure_to_image(fig)

        good = vals[valid]
        if good.size == 0:
            desc = f"Plot of {y_label} vs {x_label}: no valid data"
        else:
            lo, hi = good.min(), good.max()
            desc = (f"Plot of {y_label} vs {x_label}: min={lo:.4f}, max={hi:.4f}, "
                    f"mean={good.mean():.4f}, first={good[0]:.4f}, last={good[-1]:.4f}")
            if good.size >= 2:
                delta = good[-1] - good[0]
                trend = "stable" if abs(delta) < 0.01 * (hi - lo) + 1e-8 else \
                    ("increasing" if delta > 0 else "decreasing")
                desc += f", trend={trend}"
        return VisualFeedback(image, source="GraphDrawer.plot", description=desc)

    def __repr__(self):
        return "GraphDrawer(plot)"
