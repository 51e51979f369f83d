/// What results report as runtime.version. ExecuTorch's Swift API has no version call, so the version
/// Package.swift resolves (`executorchVersion`) is repeated here; tests/ios_app holds the two, and
/// pyproject.toml's executorch pin, together.
public enum Versions {
    public static let executorch = "1.5.1"
    public static let app = "0.1.0"
}
