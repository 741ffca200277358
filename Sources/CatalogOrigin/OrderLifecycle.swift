/// An order's status: pending -> processing -> shipped -> delivered, and pending or processing
/// -> cancelled. `delivered` and `cancelled` are final.
public enum OrderStatus: String, Sendable, CaseIterable, Equatable {
    case pending, processing, shipped, delivered, cancelled

    /// The statuses this one may move to.
    public var next: Set<OrderStatus> {
        switch self {
        case .pending: return [.processing, .cancelled]
        case .processing: return [.shipped, .cancelled]
        case .shipped: return [.delivered]
        case .delivered, .cancelled: return []
        }
    }
}

/// What a status change asks the shell to do, in the same transaction as the new status.
public enum OrderEffect: Sendable, Equatable {
    /// Put the order's quantities back into stock, with inventory movements.
    case restoreStock
    /// Write `order.updated` (from, to) to the outbox.
    case emitUpdated(from: OrderStatus, to: OrderStatus)
}

/// A refused status change, naming both states.
public struct InvalidStatusTransition: Error, Sendable, Equatable {
    public let from: OrderStatus
    public let to: OrderStatus

    public init(from: OrderStatus, to: OrderStatus) {
        self.from = from
        self.to = to
    }

    public var message: String { "Invalid status transition from \(from.rawValue) to \(to.rawValue)" }
}

/// The order state machine as a value: `move(to:)` changes the status and returns the effects
/// the change requires, or throws and leaves the status as it was.
///
/// Invariants: only the edges of `OrderStatus.next` are taken (a status never moves to itself);
/// exactly the moves into `cancelled` restore stock; every accepted move emits `order.updated`.
public struct OrderLifecycle: Sendable, Equatable {
    public private(set) var status: OrderStatus

    public init(status: OrderStatus) { self.status = status }

    public mutating func move(to target: OrderStatus) throws(InvalidStatusTransition) -> [OrderEffect] {
        guard status.next.contains(target) else { throw InvalidStatusTransition(from: status, to: target) }
        let from = status
        status = target
        return target == .cancelled
            ? [.restoreStock, .emitUpdated(from: from, to: target)]
            : [.emitUpdated(from: from, to: target)]
    }
}
