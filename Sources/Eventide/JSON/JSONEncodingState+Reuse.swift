#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// One finished encoding state kept for the next encoding, process-wide: making and
/// freeing a state with its frame list was a quarter of the CPU of encoding a small object
/// (`Response.json`). Taking and returning it are one atomic exchange each; an encoding
/// that finds the slot empty (another thread holds the state) makes its own.
extension JSONEncodingState {
    /// The kept state's address (0: none), holding one retain. A state enters the slot only
    /// when nothing else references it, so whoever takes it out owns it alone: the slot
    /// hands an unshared object from thread to thread, which is why a non-`Sendable` class
    /// may cross here (as a bit pattern: `Atomic` of a class reference needs `Sendable`).
    private static let spare = Atomic<UInt>(0)

    /// A state ready for an encoding with `formatting`: the spare one when there is one.
    static func take(formatting: JSONEncoder.OutputFormatting) -> JSONEncodingState {
        let kept = spare.exchange(0, ordering: .acquiring)
        guard let address = UnsafeRawPointer(bitPattern: kept) else {
            return JSONEncodingState(formatting: formatting)
        }
        let state = Unmanaged<JSONEncodingState>.fromOpaque(address).takeRetainedValue()
        state.prepare(formatting: formatting)
        return state
    }

    /// Keeps `state` for the next encoding once its output was taken. Not when anything
    /// else still holds it: an encoder or container that outlived its value's `encode(to:)`
    /// would otherwise write into a later encoding.
    static func recycle(_ state: inout JSONEncodingState) {
        guard isKnownUniquelyReferenced(&state) else { return }
        state.clear()
        let address = UInt(bitPattern: Unmanaged.passRetained(state).toOpaque())
        // Acquiring too: a state displaced from the slot is freed here.
        let displaced = spare.exchange(address, ordering: .acquiringAndReleasing)
        if let previous = UnsafeRawPointer(bitPattern: displaced) {
            Unmanaged<JSONEncodingState>.fromOpaque(previous).release()
        }
    }
}
