import Foundation

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#endif

/// The device a result was measured on and this process's memory, from POSIX and Foundation only:
/// the same code describes an iPhone (machine "iPhone15,2") and the Linux machine the tests run on.
public struct DevicePlatform: Platform {
    public let toolVersion: String
    public let serial: String?

    public init(toolVersion: String, serial: String? = nil) {
        self.toolVersion = toolVersion
        self.serial = serial
    }

    public var device: BenchmarkResult.Device {
        let info = ProcessInfo.processInfo
        #if os(iOS) || os(macOS)
            let os =
                "\(Self.osName) \(info.operatingSystemVersion.majorVersion).\(info.operatingSystemVersion.minorVersion)"
                + ".\(info.operatingSystemVersion.patchVersion)"
        #else
            let os = info.operatingSystemVersionString
        #endif
        // iOS reports the hardware model (iPhone15,2), which names the SoC generation; no API names the chip.
        return .init(model: Self.machine, os: os, soc: Self.machine, cores: info.activeProcessorCount, serial: serial)
    }

    static var osName: String {
        #if os(iOS)
            return "iOS"
        #else
            return "macOS"
        #endif
    }

    static var machine: String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.machine) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    public func memory() -> BenchmarkResult.Memory {
        BenchmarkResult.Memory(peakRssMb: Self.footprintMb(), pssMb: nil)
    }

    /// Darwin: the process's physical footprint (what iOS's memory limit counts); Linux: peak RSS (VmHWM).
    static func footprintMb() -> Double? {
        #if canImport(Darwin)
            var info = task_vm_info_data_t()
            var count = mach_msg_type_number_t(MemoryLayout<task_vm_info_data_t>.size / MemoryLayout<natural_t>.size)
            let status = withUnsafeMutablePointer(to: &info) {
                $0.withMemoryRebound(to: integer_t.self, capacity: Int(count)) {
                    task_info(mach_task_self_, task_flavor_t(TASK_VM_INFO), $0, &count)
                }
            }
            return status == KERN_SUCCESS ? Double(info.phys_footprint) / 1_048_576 : nil
        #else
            guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
                let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                let kb = Double(line.split(separator: " ").dropFirst().first ?? "")
            else { return nil }
            return kb / 1024
        #endif
    }
}
