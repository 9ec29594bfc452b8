// Core NFC: reads one tag's NDEF URI (an NTAG 424 SUN URL or a plain URI) for a patrol scan.
import CoreNFC
import Foundation

final class NfcScanner: NSObject, ObservableObject, NFCNDEFReaderSessionDelegate {
    private var session: NFCNDEFReaderSession?
    private var onUri: ((String?) -> Void)?

    func begin(_ onUri: @escaping (String?) -> Void) {
        guard NFCNDEFReaderSession.readingAvailable else { return }
        self.onUri = onUri
        session = NFCNDEFReaderSession(delegate: self, queue: nil, invalidateAfterFirstRead: true)
        session?.begin()
    }

    func readerSession(_ session: NFCNDEFReaderSession, didDetectNDEFs messages: [NFCNDEFMessage]) {
        let uri = messages.flatMap(\.records).lazy.compactMap { $0.wellKnownTypeURIPayload()?.absoluteString }.first
        DispatchQueue.main.async { self.onUri?(uri) }
    }

    func readerSession(_ session: NFCNDEFReaderSession, didInvalidateWithError error: Error) {
        self.session = nil
    }
}
