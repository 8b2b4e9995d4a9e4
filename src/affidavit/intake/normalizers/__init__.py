"""Built-in normalisers, one module per vendor format.

Each module exposes ``NORMALIZER``: an object with ``name``, ``detect(obj)`` and
``normalize(obj)``. They are registered through the ``affidavit.normalizers``
entry-point group like any outside plugin (see ``registry``).
"""
