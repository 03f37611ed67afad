import Foundation

/// The one multipart/form-data field SillyTavern sends (`file`), found without buffering copies.
enum Multipart {
    /// The content of field `name` in a multipart/form-data body.
    /// - Throws: `APIError` (400) naming what is missing.
    static func field(_ name: String, in body: Data, contentType: String?) throws -> Data {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else {
            throw APIError(status: .badRequest, message: "expected a multipart/form-data upload with a field '\(name)' (a PNG), got Content-Type \(contentType ?? "none")")
        }
        guard let boundary = boundary(of: contentType) else {
            throw APIError(status: .badRequest, message: "multipart/form-data without a boundary parameter")
        }
        let delimiter = Data("--\(boundary)".utf8)
        let crlf2 = Data("\r\n\r\n".utf8)
        var start = body.startIndex
        while let open = body.range(of: delimiter, in: start..<body.endIndex) {
            let afterDelimiter = open.upperBound
            // "--boundary--" ends the body.
            if body[afterDelimiter...].starts(with: Data("--".utf8)) { break }
            guard let headerEnd = body.range(of: crlf2, in: afterDelimiter..<body.endIndex) else { break }
            let headers = String(decoding: body[afterDelimiter..<headerEnd.lowerBound], as: UTF8.self)
            let next = body.range(of: Data("\r\n".utf8) + delimiter, in: headerEnd.upperBound..<body.endIndex)
            let contentEnd = next?.lowerBound ?? body.endIndex
            if fieldName(in: headers) == name {
                return body.subdata(in: headerEnd.upperBound..<contentEnd)
            }
            guard let next else { break }
            start = next.lowerBound + 2
        }
        throw APIError(status: .badRequest, message: "the multipart upload has no field '\(name)' (send the PNG as field '\(name)')")
    }

    static func boundary(of contentType: String) -> String? {
        for piece in contentType.split(separator: ";") {
            let p = piece.trimmingCharacters(in: .whitespaces)
            if p.lowercased().hasPrefix("boundary=") {
                var b = String(p.dropFirst("boundary=".count))
                if b.hasPrefix("\""), b.hasSuffix("\""), b.count >= 2 { b = String(b.dropFirst().dropLast()) }
                return b.isEmpty ? nil : b
            }
        }
        return nil
    }

    private static func fieldName(in headers: String) -> String? {
        for line in headers.components(separatedBy: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
            for piece in line.split(separator: ";") {
                let p = piece.trimmingCharacters(in: .whitespaces)
                guard p.hasPrefix("name=") else { continue }
                return p.dropFirst("name=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
            return nil
        }
        return nil
    }
}
