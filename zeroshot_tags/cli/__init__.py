"""The ``zstags`` command: a thin layer over the library, imported lazily so --help is instant."""
