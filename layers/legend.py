"""A plain-HTML legend control (no branca colormap: those pull d3 from a CDN)."""
from __future__ import annotations

from collections.abc import Sequence
from html import escape

from branca.element import MacroElement, Template

_TEMPLATE = """
{% macro html(this, kwargs) %}
<div class="portal-legend" style="position:absolute; z-index:1000; {{ this.position }};
     background:rgba(255,255,255,.92); padding:6px 10px; border-radius:4px;
     box-shadow:0 1px 4px rgba(0,0,0,.3); font:12px/1.5 sans-serif; color:#222;">
  <div style="font-weight:600; margin-bottom:2px;">{{ this.title }}</div>
  {% for color, label in this.items %}
  <div><span style="display:inline-block; width:14px; height:10px; margin-right:6px;
        background:{{ color }}; border:1px solid #666; vertical-align:middle;"></span>{{ label }}</div>
  {% endfor %}
</div>
{% endmacro %}
"""


class Legend(MacroElement):
    """Legend box drawn over the map; every text is HTML-escaped here, once."""

    _template = Template(_TEMPLATE)

    def __init__(self, title: str, items: Sequence[tuple[str, str]], *,
                 position: str = "bottom:24px; right:10px"):
        super().__init__()
        self._name = "Legend"
        self.title = escape(title)
        self.items = [(escape(color), escape(label)) for color, label in items]
        self.position = position
