"""chipsmith.lithography: optical and resist lithography simulation for contact layers.

Flat modules, one idea each: ``layout_io`` (layouts in, anti-aliased masks), ``kernels``
(SOCS kernel sets, ICCAD13 loader), ``hopkins`` (sources, pupil, TCC → SOCS), ``abbe``
(source-point reference), ``aerial`` (batched torch imaging), ``resist`` (threshold and
chemically amplified models), ``presets`` (old/new contact nodes), ``contours``
(marching squares → GDS, CD/EPE), ``dataset`` (seeded contact clips), ``pipeline``
(layout → printed contours). Import the modules directly; nothing heavy is imported here.
"""
