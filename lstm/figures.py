"""Plotting helpers shared by the chapters: one style, legible on the site's light and dark themes."""


#: Colours used for the same things on every page (colour-blind safe, Okabe-Ito palette).
COLOURS = {
    "lstm": "#0072B2",
    "rnn": "#D55E00",
    "forget": "#009E73",
    "update": "#E69F00",
    "candidate": "#CC79A7",
    "output": "#56B4E9",
    "neutral": "#555555",
}


def course_style():
    """A matplotlib style context: opaque white figures, so text stays dark-on-light in either site theme."""
    import matplotlib.pyplot as plt

    return plt.style.context({
        "figure.facecolor": "white",
        "axes.facecolor": "white",
        "savefig.facecolor": "white",
        "savefig.transparent": False,
        "axes.edgecolor": "#333333",
        "axes.labelcolor": "#111111",
        "text.color": "#111111",
        "xtick.color": "#333333",
        "ytick.color": "#333333",
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "figure.dpi": 100,
        "font.size": 11,
    })


__all__ = ["COLOURS", "course_style"]
