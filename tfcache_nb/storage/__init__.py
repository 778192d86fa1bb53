"""Storage layer: WeChat mini-program storage semantics behind one interface.

``base`` (``KeyValueStorage``, ``StorageInfo``: sizes, limits, errors), ``wx_storage``
(``WxStorage`` on SQLite), ``dict_storage`` (``DictStorage`` in memory), ``paths`` (default
folders). The public names are re-exported lazily by ``tfcache_nb``.
"""
