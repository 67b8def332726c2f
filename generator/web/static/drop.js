// Nhận báo cáo: files or whole folders dropped onto the page, or picked, are sent with
// their own modification time (as copying them into input/<period>/ would keep it) and
// an upload progress bar. Without this script the form posts the picked files as is.
(function () {
  "use strict";
  var form = document.getElementById("tai-len");
  var zone = document.getElementById("vung-tha");
  if (!form || !zone || !window.FormData) { return; }
  document.documentElement.classList.add("js");
  var bar = document.getElementById("tien-do-tai");
  var text = document.getElementById("tien-do-chu");
  var box = document.getElementById("tien-do");

  function readEntry(entry, out) {
    // A dropped folder: every file in it, however deep.
    return new Promise(function (resolve) {
      if (entry.isFile) {
        entry.file(function (file) { out.push(file); resolve(); }, function () { resolve(); });
      } else if (entry.isDirectory) {
        var reader = entry.createReader();
        var all = [];
        (function next() {
          reader.readEntries(function (batch) {
            if (!batch.length) {
              Promise.all(all.map(function (e) { return readEntry(e, out); })).then(resolve);
            } else { all = all.concat(Array.prototype.slice.call(batch)); next(); }
          }, function () { resolve(); });
        })();
      } else { resolve(); }
    });
  }

  function send(files) {
    if (!files.length) { return; }
    var data = new FormData();
    data.append(form.querySelector("input[name=csrf_token]").name,
                form.querySelector("input[name=csrf_token]").value);
    files.forEach(function (file) {
      data.append("tep", file, file.webkitRelativePath || file.name);
      data.append("ngay_sua", String(file.lastModified || 0));
    });
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    box.classList.remove("hidden");
    text.textContent = "Đang tải " + files.length + " tệp lên…";
    xhr.upload.onprogress = function (event) {
      if (event.lengthComputable) { bar.value = Math.round(100 * event.loaded / event.total); }
    };
    xhr.upload.onload = function () {
      bar.value = 100;
      text.textContent = "Đã tải lên, đang lưu vào thư mục…";
    };
    xhr.onload = function () {
      if (xhr.status === 200) {
        window.location.assign(JSON.parse(xhr.responseText).location);
      } else {  // a refusal (an expired form, say): the server's page, as a plain post shows it
        document.open();
        document.write(xhr.responseText);
        document.close();
      }
    };
    xhr.onerror = function () { text.textContent = "Không gửi được tệp: mất kết nối tới trang."; };
    xhr.send(data);
  }

  function picked() {
    var files = [];
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      files = files.concat(Array.prototype.slice.call(input.files));
    });
    return files;
  }

  form.querySelectorAll("input[type=file]").forEach(function (input) {
    input.addEventListener("change", function () {
      var note = form.querySelector(".chosen[data-for='" + input.id + "']");
      if (note) { note.textContent = input.files.length ? "Đã chọn " + input.files.length + " tệp" : ""; }
    });
  });

  form.addEventListener("submit", function (event) {
    var files = picked();
    if (!files.length) { return; }  // the server says what is missing
    event.preventDefault();
    send(files);
  });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("over");
    });
  });
  zone.addEventListener("dragleave", function () { zone.classList.remove("over"); });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    zone.classList.remove("over");
    var items = event.dataTransfer.items, files = [], pending = [];
    for (var i = 0; items && i < items.length; i++) {
      var entry = items[i].webkitGetAsEntry && items[i].webkitGetAsEntry();
      if (entry) { pending.push(readEntry(entry, files)); }
    }
    if (!pending.length) { files = Array.prototype.slice.call(event.dataTransfer.files); }
    Promise.all(pending).then(function () { send(files); });
  });
})();
