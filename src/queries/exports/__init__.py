"""Exports of the read models: the catalogue of models (`catalogue`), the formats
(`writers`), one export opened over the read models (`stream`) and the data lake
(`lake`)."""
