import Foundation

/// The training corpus of the frame classifier: the training sentences of `Corpus`, more
/// sentences, and seeded pseudo-words (random syllables in each language's spelling, so every
/// vowel meets every consonant), spoken by voice variants and at rates and pitches that the test
/// part never uses. French and Portuguese stay out entirely (the held-out languages).
enum TrainingCorpus {
    /// Variants not in `Corpus.testVoices` ("" is the language's default voice).
    static let voices = ["", "+m1", "+m3", "+m5", "+m6", "+m7", "+f1", "+f3", "+f5", "+klatt", "+klatt2", "+klatt4",
                         "+Andy", "+linda", "+Annie", "+adam", "+anika", "+aunty", "+benjamin", "+david", "+edward",
                         "+john", "+paul", "+robert", "+steph", "+travis", "+victor", "+zac", "+belinda", "+grandma",
                         "+Denis", "+Diogo", "+Hugo", "+Marco", "+miguel", "+pablo", "+pedro", "+antonio", "+iven", "+Lee"]
    /// Rates and pitches other than the test part's 140/175/230 wpm and pitch 30/50/75.
    static let rates = [120, 150, 160, 190, 200, 215, 250]
    static let pitches = [20, 35, 40, 45, 55, 60, 65, 85]

    static let sentences: [String: [String]] = [
        "ja": ["ねこが いすの うえで ねて います。", "えきの まえで ともだちを まって いました。", "なつやすみに うみへ いきたいです。",
               "この ほんは とても おもしろかった。", "せんせいに しつもんを しても いいですか。", "ふゆは さむいので こたつが すきです。",
               "やまの うえから まちが みえます。", "おみせで くだものを かいました。"],
        "es": ["Mi padre trabaja en una oficina grande.", "Hoy hace mucho calor en la ciudad.", "Los niños juegan en la playa.",
               "Quiero aprender a tocar el piano.", "El tren sale a las ocho de la mañana.", "Ella compró un vestido rojo.",
               "Bebemos agua fresca después de correr.", "La biblioteca abre todos los días."],
        "en-us": ["I would like to order a pizza tonight.", "The children played in the garden all day.",
                  "Can you help me carry these boxes upstairs?", "We need more paper for the printer.",
                  "My mother makes the best apple pie.", "The bus was late again this morning."],
        "it": ["La mamma prepara la cena ogni sera.", "Abbiamo visitato un museo molto bello.", "Il gatto dorme sopra il divano.",
               "Vorrei un bicchiere di acqua fresca."],
        "de": ["Mein Bruder spielt gern Fußball im Park.", "Wir kaufen heute Brot und Milch.", "Der Himmel ist blau und die Sonne scheint.",
               "Kannst du mir bitte das Salz geben?"],
        "id": ["Saya suka makan nasi goreng setiap pagi.", "Mereka pergi ke pasar membeli buah.", "Bapak membaca buku di meja."],
        "sw": ["Mama anapika chakula kizuri sana.", "Watoto wanacheza mpira uwanjani.", "Habari yako, rafiki yangu?"],
        "fi": ["Minä asun pienessä talossa meren lähellä.", "Huomenna menemme metsään poimimaan marjoja."],
        "pl": ["Moja mama pije kawę z mlekiem.", "Pies biega po parku bardzo szybko."],
        "nl": ["Mijn broer woont in een mooi huis.", "We gaan morgen met de boot naar het eiland."],
        "tr": ["Bugün hava çok güzel ve sıcak.", "Babam her sabah gazete okur."],
        "cs": ["Moje babička peče výborné koláče.", "Zítra pojedeme vlakem do Prahy."],
        "ru": ["Мама мыла раму утром.", "Мы пошли в парк после обеда."],
    ]

    /// Syllables per language, spelled as its reader expects; pseudo-words are drawn from them.
    static let syllables: [String: [String]] = {
        var s: [String: [String]] = [:]
        let kana = "あいうえお かきくけこ さしすせそ たちつてと なにぬねの はひふへほ まみむめも やゆよ らりるれろ わ がぎぐげご ざじずぜぞ だでど ばびぶべぼ ぱぴぷぺぽ"
        s["ja"] = kana.split(separator: " ").flatMap { $0.map(String.init) } + ["ん", "っ", "ー"]
        func latin(_ cons: [String], _ vowels: [String]) -> [String] { cons.flatMap { c in vowels.map { c + $0 } } + vowels }
        let v5 = ["a", "e", "i", "o", "u"]
        s["es"] = latin(["p", "b", "m", "t", "d", "n", "k", "g", "s", "l", "r", "f", "ch", "ll", "ñ", "j", "v"], v5)
        s["it"] = latin(["p", "b", "m", "t", "d", "n", "c", "g", "s", "l", "r", "f", "v", "pp", "mm", "tt"], v5)
        s["id"] = latin(["p", "b", "m", "t", "d", "n", "k", "g", "s", "l", "r", "j", "ng"], v5)
        s["sw"] = latin(["p", "b", "m", "t", "d", "n", "k", "g", "s", "l", "w", "mb", "nd"], v5)
        s["fi"] = latin(["p", "m", "t", "n", "k", "s", "l", "r", "v", "h"], v5 + ["aa", "ii", "uu", "ä", "ö", "y"])
        s["de"] = latin(["p", "b", "m", "t", "d", "n", "k", "g", "s", "l", "r", "f", "w", "sch"], v5 + ["ie", "ei", "au"])
        s["en-us"] = latin(["p", "b", "m", "t", "d", "n", "k", "g", "s", "l", "r", "f", "v", "sh", "w"], ["a", "ee", "oo", "e", "o", "ay", "ow"])
        s["pl"] = latin(["p", "b", "m", "t", "d", "n", "k", "g", "s", "l", "r", "w", "sz"], v5 + ["y"])
        s["ru"] = latin(["п", "б", "м", "т", "д", "н", "к", "г", "с", "л", "р"], ["а", "э", "и", "о", "у", "ы"])
        return s
    }()

    /// SplitMix64: a fixed sequence for a seed on every machine.
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func pick<T>(_ a: [T]) -> T { a[int(a.count)] }
    }

    static func pseudoText(_ lang: String, _ rng: inout Rng) -> String {
        let syl = syllables[lang]!
        let words = 3 + rng.int(5)
        var out: [String] = []
        for w in 0..<words {
            var word = (0..<(1 + rng.int(4))).map { _ in rng.pick(syl) }.joined()
            if lang == "ja", word.hasPrefix("ん") || word.hasPrefix("っ") || word.hasPrefix("ー") { word = "あ" + word }
            if w == 0, lang != "ja", lang != "ru" { word = word.prefix(1).uppercased() + word.dropFirst() }
            out.append(word)
            if w < words - 1, rng.int(5) == 0 { out[out.count - 1] += lang == "ja" ? "、" : "," }
        }
        return out.joined(separator: " ") + (lang == "ja" ? "。" : ".")
    }

    /// `perLanguage` pseudo-word utterances per language with syllables, and every sentence
    /// twice, each with a random training voice and prosody (seeded).
    static func items(seed: UInt64 = 20261129, perLanguage: Int = 60) -> [Corpus.Item] {
        var rng = Rng(state: seed)
        var out: [Corpus.Item] = []
        func add(_ lang: String, _ text: String) {
            out.append(Corpus.Item(language: lang, voice: lang + rng.pick(voices), text: text,
                                   rate: rng.pick(rates), pitch: rng.pick(pitches)))
        }
        var all = sentences
        for (l, s) in Corpus.train { all[l, default: []] += s }
        for lang in all.keys.sorted() { for text in all[lang]! { add(lang, text); add(lang, text) } }
        for lang in syllables.keys.sorted() {
            let n = ["ja": 3, "es": 3, "it": 2, "en-us": 1, "de": 1][lang, default: 1] * perLanguage
            for _ in 0..<n { add(lang, pseudoText(lang, &rng)) }
        }
        return out
    }
}
