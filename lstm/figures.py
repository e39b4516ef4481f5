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


def _arrow(ax, start, end, colour, head=True, width=1.6):
    """A straight line from ``start`` to ``end``, with an arrow head at ``end`` unless ``head`` is False."""
    ax.annotate("", xy=end, xytext=start,
                arrowprops={"arrowstyle": "-|>" if head else "-", "color": colour, "lw": width,
                            "shrinkA": 0, "shrinkB": 0, "mutation_scale": 14})


def _path(ax, points, colour, width=1.6):
    """A polyline through ``points`` whose last segment ends in an arrow head."""
    for start, end in zip(points[:-2], points[1:-1], strict=True):
        _arrow(ax, start, end, colour, head=False, width=width)
    _arrow(ax, points[-2], points[-1], colour, width=width)


def draw_lstm_cell(ax=None):
    """Draw one LSTM cell: the four gate layers, the element-wise operations and the two states.

    The drawing follows equations (1)-(6) of the course: the stacked input ``[a⟨t-1⟩; x⟨t⟩]`` feeds the forget gate
    Γf (σ), the update gate Γu (σ), the candidate c̃⟨t⟩ (tanh) and the output gate Γo (σ); the cell state runs along
    the top, is multiplied by Γf and receives Γu ⊙ c̃⟨t⟩; the hidden state is Γo ⊙ tanh(c⟨t⟩).

    Parameters
    ----------
    ax : matplotlib Axes, optional
        Where to draw. A new 10 x 5.4 inch figure is made when omitted.

    Returns
    -------
    matplotlib Axes
        The axes drawn on (their frame and ticks are switched off).
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle, FancyBboxPatch

    if ax is None:
        _, ax = plt.subplots(figsize=(10, 5.4))
    ink, state = "#222222", COLOURS["neutral"]
    ax.set_xlim(-0.6, 13.7)
    ax.set_ylim(-0.9, 6.9)
    ax.set_aspect("equal")
    ax.axis("off")

    # The cell's outline.
    ax.add_patch(FancyBboxPatch((1.0, 0.6), 11.0, 5.6, boxstyle="round,pad=0.1,rounding_size=0.4",
                                facecolor="#F4F6F8", edgecolor="#8A949E", lw=1.2, zorder=0))

    def operation(xy, symbol, colour=ink):
        ax.add_patch(Circle(xy, 0.32, facecolor="white", edgecolor=colour, lw=1.6, zorder=3))
        ax.text(*xy, symbol, ha="center", va="center", fontsize=15, color=colour, zorder=4)

    def layer(x, y, symbol, colour, label):
        ax.add_patch(FancyBboxPatch((x - 0.45, y - 0.32), 0.9, 0.64, boxstyle="round,pad=0.02,rounding_size=0.1",
                                    facecolor=colour, edgecolor=ink, lw=1.2, zorder=3))
        ax.text(x, y, symbol, ha="center", va="center", fontsize=12, color="black", zorder=4)
        ax.text(x - 0.12, y + 0.65, label, ha="right", va="center", fontsize=12, color=ink, zorder=4)

    y_cell, y_bus, y_layer = 5.5, 1.2, 2.3
    x_forget, x_update, x_candidate, x_output, x_out = 2.8, 4.6, 6.4, 8.2, 10.0
    forget_op, plus_op, update_op = (x_forget, y_cell), (x_candidate, y_cell), (x_candidate, 3.9)
    squash, output_op = (x_out, 4.45), (x_out, 3.1)

    # The cell state: the straight line along the top that the LSTM adds to rather than rewrites.
    _arrow(ax, (-0.2, y_cell), (forget_op[0] - 0.32, y_cell), state, width=2.6)
    _arrow(ax, (forget_op[0] + 0.32, y_cell), (plus_op[0] - 0.32, y_cell), state, width=2.6)
    _arrow(ax, (plus_op[0] + 0.32, y_cell), (13.2, y_cell), state, width=2.6)
    ax.text(-0.2, y_cell + 0.3, r"$c^{\langle t-1\rangle}$", fontsize=13, color=ink)
    ax.text(12.5, y_cell + 0.3, r"$c^{\langle t\rangle}$", fontsize=13, color=ink)

    # The stacked input [a<t-1>; x<t>] runs along the bottom and feeds all four layers.
    _path(ax, [(-0.2, y_bus), (x_output, y_bus), (x_output, y_layer - 0.32)], ink)
    _arrow(ax, (2.0, -0.6), (2.0, y_bus), ink)
    ax.plot([2.0], [y_bus], "o", color=ink, ms=5, zorder=4)
    ax.text(-0.2, y_bus - 0.45, r"$a^{\langle t-1\rangle}$", fontsize=13, color=ink)
    ax.text(2.15, -0.7, r"$x^{\langle t\rangle}$", fontsize=13, color=ink)
    ax.text(2.2, y_bus - 0.5, r"$[a^{\langle t-1\rangle};\, x^{\langle t\rangle}]$", fontsize=11, color=ink)
    for x in (x_forget, x_update, x_candidate):
        ax.plot([x], [y_bus], "o", color=ink, ms=4, zorder=4)
        _arrow(ax, (x, y_bus), (x, y_layer - 0.32), ink)

    layer(x_forget, y_layer, r"$\sigma$", COLOURS["forget"], r"$\Gamma_f$  (1)")
    layer(x_update, y_layer, r"$\sigma$", COLOURS["update"], r"$\Gamma_u$  (2)")
    layer(x_candidate, y_layer, "tanh", COLOURS["candidate"], r"$\tilde{c}^{\langle t\rangle}$  (3)")
    layer(x_output, y_layer, r"$\sigma$", COLOURS["output"], r"$\Gamma_o$  (5)")

    # (4): c<t> = Γf ⊙ c<t-1> + Γu ⊙ c̃<t>.
    _arrow(ax, (x_forget, y_layer + 0.32), (x_forget, y_cell - 0.32), COLOURS["forget"])
    _path(ax, [(x_update, y_layer + 0.32), (x_update, update_op[1]), (update_op[0] - 0.32, update_op[1])],
          COLOURS["update"])
    _arrow(ax, (x_candidate, y_layer + 0.32), (x_candidate, update_op[1] - 0.32), COLOURS["candidate"])
    _arrow(ax, (update_op[0], update_op[1] + 0.32), (plus_op[0], y_cell - 0.32), ink)
    operation(forget_op, r"$\odot$")
    operation(plus_op, "+")
    operation(update_op, r"$\odot$")
    ax.text(plus_op[0] + 0.4, y_cell - 0.5, "(4)", fontsize=11, color=ink)

    # (6): a<t> = Γo ⊙ tanh(c<t>), which leaves to the right and feeds the prediction.
    ax.plot([x_out], [y_cell], "o", color=state, ms=5, zorder=4)
    _arrow(ax, (x_out, y_cell), (x_out, squash[1] + 0.28), state)
    ax.add_patch(FancyBboxPatch((x_out - 0.42, squash[1] - 0.26), 0.84, 0.52,
                                boxstyle="round,pad=0.02,rounding_size=0.25",
                                facecolor="white", edgecolor=ink, lw=1.4, zorder=3))
    ax.text(*squash, "tanh", ha="center", va="center", fontsize=12, color=ink, zorder=4)
    _arrow(ax, (x_out, squash[1] - 0.26), (x_out, output_op[1] + 0.32), ink)
    _path(ax, [(x_output, y_layer + 0.32), (x_output, output_op[1]), (output_op[0] - 0.32, output_op[1])],
          COLOURS["output"])
    operation(output_op, r"$\odot$")
    ax.text(output_op[0] + 0.4, output_op[1] - 0.5, "(6)", fontsize=11, color=ink)
    _path(ax, [(x_out, output_op[1] - 0.32), (x_out, y_bus), (13.2, y_bus)], COLOURS["lstm"], width=2.2)
    ax.text(12.5, y_bus - 0.45, r"$a^{\langle t\rangle}$", fontsize=13, color=ink)
    ax.plot([11.2], [y_bus], "o", color=COLOURS["lstm"], ms=5, zorder=4)
    _arrow(ax, (11.2, y_bus), (11.2, 2.9), COLOURS["lstm"], width=2.2)
    ax.text(11.2, 3.2, r"$\hat{y}^{\langle t\rangle}$", ha="center", fontsize=13, color=ink)
    return ax


def _box_edge(centre, half_size, direction):
    """Where the ray from a box's centre along ``direction`` leaves the box (``half_size``: half width, half height)."""
    import numpy as np

    with np.errstate(divide="ignore"):
        scale = np.min(np.abs(half_size / direction))
    return centre + scale * direction


def draw_cell_graph(ax=None):
    """Draw the computational graph of one LSTM step, which chapter 4 differentiates: a box per quantity
    (the stacked input, the four pre-activations z, the gate values, c⟨t⟩, tanh(c⟨t⟩), a⟨t⟩ and the loss L) and an
    arrow per dependency, following equations (1)-(6). Gradients travel against the arrows.

    Parameters
    ----------
    ax : matplotlib Axes, optional
        Where to draw. A new 10 x 4.6 inch figure is made when omitted.

    Returns
    -------
    matplotlib Axes
        The axes drawn on (their frame and ticks are switched off).
    """
    import matplotlib.pyplot as plt
    import numpy as np

    gate_colour = {"f": COLOURS["forget"], "i": COLOURS["update"], "c": COLOURS["candidate"], "o": COLOURS["output"]}
    nodes = {  # name: (x, y, label, colour)
        "a_prev": (0.0, 3.4, r"$a^{\langle t-1\rangle}$", COLOURS["neutral"]),
        "x": (0.0, 1.6, r"$x^{\langle t\rangle}$", COLOURS["neutral"]),
        "concat": (1.6, 2.5, r"$[a^{\langle t-1\rangle}; x^{\langle t\rangle}]$", COLOURS["neutral"]),
        "c_prev": (4.6, 5.4, r"$c^{\langle t-1\rangle}$", COLOURS["neutral"]),
        "c": (7.6, 4.2, r"$c^{\langle t\rangle}$", COLOURS["lstm"]),
        "tanh_c": (8.9, 2.6, r"$\tanh(c^{\langle t\rangle})$", COLOURS["lstm"]),
        "a": (10.4, 1.0, r"$a^{\langle t\rangle}$", COLOURS["lstm"]),
        "L": (12.0, 2.8, r"$L$", "#111111"),
    }
    gates = [("f", "z_f", r"\Gamma_f", r"\sigma"), ("i", "z_i", r"\Gamma_u", r"\sigma"),
             ("c", "z_c", r"\tilde c", r"\tanh"), ("o", "z_o", r"\Gamma_o", r"\sigma")]
    for row, (g, z, gate, func) in enumerate(gates):
        y = 4.3 - 1.2 * row
        nodes["z" + g] = (3.4, y, f"${z}$", gate_colour[g])
        nodes["g" + g] = (5.4, y, f"${gate} = {func}({z})$", gate_colour[g])
    edges = [("a_prev", "concat"), ("x", "concat")]
    edges += [("concat", "z" + g) for g in "fico"] + [("z" + g, "g" + g) for g in "fico"]
    edges += [("gf", "c"), ("gi", "c"), ("gc", "c"), ("c_prev", "c"), ("c", "tanh_c"), ("tanh_c", "a"), ("go", "a")]
    edges += [("a", "L"), ("c", "L")]

    if ax is None:
        _, ax = plt.subplots(figsize=(10, 4.6))
    texts = {name: ax.text(x, y, label, ha="center", va="center", fontsize=12, zorder=3,
                           bbox={"boxstyle": "round,pad=0.35", "facecolor": "white", "edgecolor": colour, "lw": 2})
             for name, (x, y, label, colour) in nodes.items()}
    ax.set_xlim(-0.6, 12.6)
    ax.set_ylim(0.3, 6.0)
    ax.figure.canvas.draw()  # so that every box knows its size
    to_data = ax.transData.inverted()
    half_sizes = {}
    for name, text in texts.items():
        corners = to_data.transform(text.get_bbox_patch().get_window_extent().get_points())
        half_sizes[name] = (corners[1] - corners[0]) / 2 + 0.06
    for source, target in edges:  # each arrow runs from the edge of one box to the edge of the other
        start, end = np.array(nodes[source][:2]), np.array(nodes[target][:2])
        ax.annotate("", xy=_box_edge(end, half_sizes[target], start - end),
                    xytext=_box_edge(start, half_sizes[source], end - start),
                    arrowprops={"arrowstyle": "-|>", "color": "#777777", "lw": 1.2, "shrinkA": 0, "shrinkB": 0})
    ax.text(11.5, 1.5, r"$da_{\mathrm{next}}$", fontsize=11, color=COLOURS["lstm"])
    ax.text(9.0, 4.0, r"$dc_{\mathrm{next}}$ (from step $t+1$)", fontsize=11, color=COLOURS["lstm"])
    ax.axis("off")
    return ax


__all__ = ["COLOURS", "course_style", "draw_cell_graph", "draw_lstm_cell"]
