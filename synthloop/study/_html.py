"""The pieces every report section is made of: an HTML table of a frame, a figure saved beside the page."""

from __future__ import annotations

import html

__all__ = ["table", "save"]


def table(frame, left=1):
    """``frame`` as an HTML table; its first ``left`` columns are aligned left (labels), the rest right."""
    head = "".join(f'<th class="{"l" if i < left else ""}">{html.escape(str(c))}</th>'
                   for i, c in enumerate(frame.columns))
    rows = []
    for _, r in frame.iterrows():
        rows.append("<tr>" + "".join(f'<td class="{"l" if i < left else ""}">{html.escape(str(v))}</td>'
                                     for i, v in enumerate(r)) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def save(fig, report_dir, name, plt):
    """Write ``fig`` as ``report_dir/name`` (PNG), close it, and return the ``<img>`` that shows it."""
    fig.savefig(report_dir / name, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return f'<img src="{name}" alt="{name}">'
