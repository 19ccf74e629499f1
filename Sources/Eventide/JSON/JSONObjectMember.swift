/// Where one member of an open JSON object lies in the output: `start` is its key's opening
/// quote, `keyEnd` just past the key's closing quote, `end` just past its value (filled in
/// when the object closes). Used to find duplicate keys and to sort members.
struct JSONObjectMember {
    var start: Int
    var keyEnd: Int
    var end = 0
}
