#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The memory this process holds, for tests that bound its growth over many start/stop
/// cycles (a leak grows it every cycle).
///
/// Normally the resident set (VmRSS). Under AddressSanitizer the resident set says
/// nothing about leaks: a freed block waits in ASan's quarantine (up to 256 MiB) before
/// its memory is reused, and every block carries redzones and shadow memory, so the
/// resident set grew by 14-70 MiB over a hundred cycles that leak nothing. There the
/// heap bytes allocated and not freed are read instead, from ASan's own count
/// (`__sanitizer_get_current_allocated_bytes`), which leaves the quarantine out.
struct MemoryInUse {
    /// What is measured, for failure messages.
    let measure: String
    private let sample: () -> Int

    /// The resident set, or the live heap when the process runs under AddressSanitizer
    /// (found at run time: its runtime, `__asan_init`, is then loaded).
    init() {
        let process = dlopen(nil, RTLD_NOW)
        if dlsym(process, "__asan_init") != nil,
            let symbol = dlsym(process, "__sanitizer_get_current_allocated_bytes")
        {
            let allocatedBytes = unsafeBitCast(symbol, to: (@convention(c) () -> Int).self)
            measure = "live heap (AddressSanitizer's count)"
            sample = { allocatedBytes() / 1024 }
        } else {
            measure = "resident set (VmRSS)"
            sample = residentKiB
        }
    }

    /// The memory in use now, in KiB.
    var kibibytes: Int { sample() }

    /// Calls `cycle` with each of `indices` in order and returns how much the memory in use
    /// grew, in KiB: the smallest reading after the last fifth of the cycles minus the
    /// smallest after the first fifth. Minima, because a reading also counts what tests
    /// running in parallel hold at that moment (under ASan, one reading after the cycles
    /// once included 14 MiB of another test's buffers), while a leak raises every reading.
    func growth(over indices: Range<Int>, _ cycle: (Int) async throws -> Void) async rethrows -> Int {
        var readings: [Int] = []
        for index in indices {
            try await cycle(index)
            readings.append(kibibytes)
        }
        let window = max(1, readings.count / 5)
        return readings.suffix(window).min()! - readings.prefix(window).min()!
    }
}

/// Resident memory of this process in KiB (VmRSS).
func residentKiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
    else { return -1 }
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
}
