return tostring(-0), tostring(7 / 2), tostring(2^62), tostring(nil), tostring(true), 10 // 3 .. "|" .. 10 / 3
