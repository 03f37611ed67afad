import Foundation

/// The evaluation corpus: sentences per language split into a training part (templates and
/// settings are chosen on it) and a test part (only scored), voices and prosody split likewise.
enum Corpus {
    struct Item { let language: String; let voice: String; let text: String; let rate: Int; let pitch: Int }

    static let train: [String: [String]] = [
        "ja": ["あいうえお、かきくけこ。", "わたしは まいにち がっこうへ いきます。", "きょうは とても いい てんきですね。",
               "おかあさんと いっしょに ごはんを たべました。"],
        "es": ["Buenos días, ¿cómo estás hoy?", "Me gusta mucho leer libros por la tarde.",
               "La casa de mi abuela está cerca del mar.", "Vamos a comer paella el domingo."],
        "en-us": ["Hello, my name is Lambda and I like bananas.", "The quick brown fox jumps over the lazy dog.",
                  "We went to the beach on a sunny afternoon.", "Please bring me a cup of hot coffee."],
        "it": ["Buongiorno, come stai oggi?", "Mi piace molto la pizza con il pomodoro."],
        "de": ["Guten Morgen, wie geht es dir heute?", "Ich habe einen kleinen Hund und eine Katze."],
    ]
    static let test: [String: [String]] = [
        "ja": ["さくらの はなが きれいに さいて います。", "あしたは ともだちと えいがを みに いく よていです。",
               "この みせの ラーメンは とても おいしい です。", "にほんごの べんきょうは たのしいけど むずかしい。",
               "まどを あけると つめたい かぜが はいって きた。"],
        "es": ["El perro corre por el parque todas las mañanas.", "Mañana tenemos una reunión muy importante.",
               "Mi hermano pequeño toca la guitarra muy bien.", "¿Puedes abrir la ventana, por favor?",
               "Las montañas del norte están cubiertas de nieve."],
        "en-us": ["My brother bought a blue bicycle last summer.", "Open the window and let the fresh air in.",
                  "She sells sea shells by the sea shore.", "Maybe we should meet again before the movie.",
                  "Every morning I walk to the old market."],
        "it": ["Il mio amico abita in una piccola città.", "Domani andiamo al mare con la barca."],
        "de": ["Morgen fahren wir mit dem Zug nach Berlin.", "Das Buch liegt auf dem großen Tisch."],
        "fr": ["Bonjour, je m'appelle Marie et j'aime la musique.", "Nous allons au marché demain matin."],
        "pt": ["Bom dia, eu gosto muito de café com leite.", "A menina abriu a porta da casa."],
    ]
    static let trainVoices = ["", "+m1", "+m3", "+f1", "+f3", "+klatt", "+Andy", "+linda"]
    static let testVoices = ["+m2", "+m4", "+f2", "+f4", "+klatt3", "+Alicia", "+max", "+michel"]
    static let trainProsody = [(160, 40), (200, 60)]
    static let testProsody = [(140, 30), (175, 50), (230, 75)]

    /// Every combination for `part` ("train" or "test"), cycling voices and prosody so that each
    /// sentence is heard with several voices.
    static func items(_ part: String) -> [Item] {
        let sentences = part == "train" ? train : test
        let voices = part == "train" ? trainVoices : testVoices
        let prosody = part == "train" ? trainProsody : testProsody
        var out: [Item] = []
        for lang in sentences.keys.sorted() {
            for (s, text) in sentences[lang]!.enumerated() {
                for k in 0..<4 {
                    let v = voices[(s * 3 + k * 2) % voices.count]
                    let (r, p) = prosody[(s + k) % prosody.count]
                    out.append(Item(language: lang, voice: lang + v, text: text, rate: r, pitch: p))
                }
            }
        }
        return out
    }
}
