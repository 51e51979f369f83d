"""`cloformer-export`: CloFormer -> one artifact per target (export/targets/), each checked against
the eager model and described by a manifest `<artifact>.json`. `cloformer.export.api` is the
public surface other packages (runtime_bench, users' scripts) use."""
