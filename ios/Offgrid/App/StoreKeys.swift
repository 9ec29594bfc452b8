// The store's encryption key (ADR 0012): 32 random bytes kept as a Keychain item readable after
// the first unlock (so background sync works) and never restored to another device. Changing it
// keeps the new key as "pending" until `rekeyStore` returns, so a crash in between is finished by
// asking again at the next start. Mirrors android/app/.../StoreKeys.kt.
import Foundation
import OffgridKit
import Security

enum StoreKeys {
    private static let service = "offgrid.store"
    private static let current = "store-key"
    private static let pending = "store-key-pending"

    /// The store key, made on first use. Finishes a key change a crash interrupted.
    static func storeKey(dbPath: String) throws -> Data {
        if let old = read(current), let new = read(pending) {
            try rekeyStore(dbPath: dbPath, oldKey: old, newKey: new)
            try promotePending(new)
        }
        if let key = read(current) { return key }
        let key = generateStoreKey()
        try add(current, key)
        return key
    }

    /// Changes the store's key (the store must be closed).
    static func rotate(dbPath: String) throws {
        guard let old = read(current) else { return }
        let new = generateStoreKey()
        delete(pending)
        try add(pending, new)
        try rekeyStore(dbPath: dbPath, oldKey: old, newKey: new)
        try promotePending(new)
    }

    private static func promotePending(_ new: Data) throws {
        delete(current)
        try add(current, new)
        delete(pending)
    }

    private static func query(_ account: String) -> [String: Any] {
        [kSecClass as String: kSecClassGenericPassword,
         kSecAttrService as String: service,
         kSecAttrAccount as String: account]
    }

    private static func read(_ account: String) -> Data? {
        var q = query(account)
        q[kSecReturnData as String] = true
        q[kSecMatchLimit as String] = kSecMatchLimitOne
        var out: AnyObject?
        guard SecItemCopyMatching(q as CFDictionary, &out) == errSecSuccess else { return nil }
        return out as? Data
    }

    private static func add(_ account: String, _ key: Data) throws {
        var q = query(account)
        q[kSecValueData as String] = key
        q[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        let status = SecItemAdd(q as CFDictionary, nil)
        guard status == errSecSuccess else {
            throw NSError(domain: NSOSStatusErrorDomain, code: Int(status))
        }
    }

    private static func delete(_ account: String) {
        SecItemDelete(query(account) as CFDictionary)
    }
}
