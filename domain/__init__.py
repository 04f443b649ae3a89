"""The desk's domain model: cases, catalogue, standards and business time. No I/O."""
