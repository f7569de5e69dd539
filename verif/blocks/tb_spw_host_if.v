// SPDX-License-Identifier: Apache-2.0
// Bench wrapper: spw_host_if with behavioural AMem/WMem/IMem behind its memory port.
`timescale 1ns / 1ps
`default_nettype none

// tb_spw_host_if
//
// The AXI4-Lite slave and the core-side inputs are top-level ports driven by
// cocotb.  The memory port is closed by three arrays (zero after time 0) that
// model the top level's latency-1 mux: a request reads or writes the selected
// 32-bit slot of one word, WSTRB byte-wise.  Bench-only monitors count the
// requests and flag any request made while busy_i is high or beyond a depth,
// so "no memory request issued" is checked directly.

`include "spw_defs.vh"

module tb_spw_host_if #(
    // MAC array rows (AMem word = ROWS x 4 bit)
    parameter ROWS = 8,
    // MAC array columns (WMem word = COLS x 4 bit)
    parameter COLS = 8,
    // AMem depth in words
    parameter ADEPTH = 4096,
    // WMem depth in words
    parameter WDEPTH = 4096,
    // IMem depth in 64-bit words
    parameter IDEPTH = 4096,
    // accumulator width in bits
    parameter ACC_W = 20
) (
    input  wire        clk_i,
    input  wire        rst_ni,

    /* AXI4-Lite slave interface */
    input  wire [19:0] s_axil_awaddr,
    input  wire [2:0]  s_axil_awprot,
    input  wire        s_axil_awvalid,
    output wire        s_axil_awready,
    input  wire [31:0] s_axil_wdata,
    input  wire [3:0]  s_axil_wstrb,
    input  wire        s_axil_wvalid,
    output wire        s_axil_wready,
    output wire [1:0]  s_axil_bresp,
    output wire        s_axil_bvalid,
    input  wire        s_axil_bready,
    input  wire [19:0] s_axil_araddr,
    input  wire [2:0]  s_axil_arprot,
    input  wire        s_axil_arvalid,
    output wire        s_axil_arready,
    output wire [31:0] s_axil_rdata,
    output wire [1:0]  s_axil_rresp,
    output wire        s_axil_rvalid,
    input  wire        s_axil_rready,

    /* Core side, driven by the bench */
    output wire        start_o,
    output wire [15:0] start_pc_o,
    input  wire        busy_i,
    input  wire        done_i,
    input  wire [3:0]  err_code_i,
    input  wire [15:0] err_pc_i,
    input  wire [31:0] perf_cycles_i,
    input  wire [31:0] perf_mac_busy_i,
    input  wire [31:0] perf_skipped_i,
    input  wire [31:0] perf_stall_i,
    output wire        irq_o,

    /* Bench monitors */
    output reg  [31:0] mem_reqs_o,      // memory requests since reset
    output reg         mem_req_busy_o,  // sticky: a request while busy_i
    output reg         mem_req_oob_o    // sticky: a request beyond a depth or to sel 3
);

    // word widths in bits
    localparam integer A_BITS = ROWS * 4;
    localparam integer W_BITS = COLS * 4;
    localparam integer I_BITS = 64;

    wire        mem_req;
    wire        mem_we;
    wire [1:0]  mem_sel;
    wire [15:0] mem_addr;
    wire [1:0]  mem_slot;
    wire [31:0] mem_wdata;
    wire [3:0]  mem_wstrb;
    reg  [31:0] mem_rdata;

    spw_host_if #(
        .ROWS(ROWS), .COLS(COLS), .ADEPTH(ADEPTH), .WDEPTH(WDEPTH), .IDEPTH(IDEPTH),
        .ACC_W(ACC_W)
    ) u_dut (
        .clk_i(clk_i), .rst_ni(rst_ni),
        .s_axil_awaddr(s_axil_awaddr), .s_axil_awprot(s_axil_awprot),
        .s_axil_awvalid(s_axil_awvalid), .s_axil_awready(s_axil_awready),
        .s_axil_wdata(s_axil_wdata), .s_axil_wstrb(s_axil_wstrb),
        .s_axil_wvalid(s_axil_wvalid), .s_axil_wready(s_axil_wready),
        .s_axil_bresp(s_axil_bresp), .s_axil_bvalid(s_axil_bvalid),
        .s_axil_bready(s_axil_bready),
        .s_axil_araddr(s_axil_araddr), .s_axil_arprot(s_axil_arprot),
        .s_axil_arvalid(s_axil_arvalid), .s_axil_arready(s_axil_arready),
        .s_axil_rdata(s_axil_rdata), .s_axil_rresp(s_axil_rresp),
        .s_axil_rvalid(s_axil_rvalid), .s_axil_rready(s_axil_rready),
        .start_o(start_o), .start_pc_o(start_pc_o), .busy_i(busy_i), .done_i(done_i),
        .err_code_i(err_code_i), .err_pc_i(err_pc_i),
        .perf_cycles_i(perf_cycles_i), .perf_mac_busy_i(perf_mac_busy_i),
        .perf_skipped_i(perf_skipped_i), .perf_stall_i(perf_stall_i),
        .irq_o(irq_o),
        .mem_req_o(mem_req), .mem_we_o(mem_we), .mem_sel_o(mem_sel),
        .mem_addr_o(mem_addr), .mem_slot_o(mem_slot), .mem_wdata_o(mem_wdata),
        .mem_wstrb_o(mem_wstrb), .mem_rdata_i(mem_rdata)
    );

    // index width of each array, so every index has exactly its array's width
    function integer idx_bits;
        input integer depth;
        begin
            idx_bits = 1;
            while ((1 << idx_bits) < depth) idx_bits = idx_bits + 1;
        end
    endfunction
    localparam integer A_IW = idx_bits(ADEPTH);
    localparam integer W_IW = idx_bits(WDEPTH);
    localparam integer I_IW = idx_bits(IDEPTH);
    localparam [31:0] ADEPTH_U = ADEPTH;
    localparam [31:0] WDEPTH_U = WDEPTH;
    localparam [31:0] IDEPTH_U = IDEPTH;

    reg [A_BITS-1:0] amem [0:ADEPTH-1];
    reg [W_BITS-1:0] wmem [0:WDEPTH-1];
    reg [I_BITS-1:0] imem [0:IDEPTH-1];

    integer i;
    initial begin
        for (i = 0; i < ADEPTH; i = i + 1) amem[i] = {A_BITS{1'b0}};
        for (i = 0; i < WDEPTH; i = i + 1) wmem[i] = {W_BITS{1'b0}};
        for (i = 0; i < IDEPTH; i = i + 1) imem[i] = {I_BITS{1'b0}};
    end

    wire [A_IW-1:0] a_idx = mem_addr[A_IW-1:0];
    wire [W_IW-1:0] w_idx = mem_addr[W_IW-1:0];
    wire [I_IW-1:0] i_idx = mem_addr[I_IW-1:0];
    wire [31:0] addr_u = {16'd0, mem_addr};
    // the fourth select code names no memory
    wire oob = (mem_sel == `SPW_SEL_AMEM) ? addr_u >= ADEPTH_U :
               (mem_sel == `SPW_SEL_WMEM) ? addr_u >= WDEPTH_U :
               (mem_sel == `SPW_SEL_IMEM) ? addr_u >= IDEPTH_U : 1'b1;

    wire [A_BITS-1:0] a_word = amem[a_idx];
    wire [W_BITS-1:0] w_word = wmem[w_idx];
    wire [I_BITS-1:0] i_word = imem[i_idx];

    // word padded to 4 slots, so one merge serves all three memories
    reg [127:0] word;
    reg [127:0] merged;
    integer b;
    always @* begin
        word = 128'd0;
        case (mem_sel)
            `SPW_SEL_AMEM: word[A_BITS-1:0] = a_word;
            `SPW_SEL_WMEM: word[W_BITS-1:0] = w_word;
            default:       word[I_BITS-1:0] = i_word;
        endcase
        merged = word;
        for (b = 0; b < 4; b = b + 1)
            if (mem_wstrb[b]) merged[{mem_slot, 5'd0} + {2'd0, b[1:0], 3'd0} +: 8] = mem_wdata[b * 8 +: 8];
    end
    // bits above the widest word exist only to share the merge
    wire unused_merged = ^merged;

    always @(posedge clk_i) begin
        if (mem_req && !oob) begin
            mem_rdata <= word[{mem_slot, 5'd0} +: 32];
            if (mem_we) begin
                case (mem_sel)
                    `SPW_SEL_AMEM: amem[a_idx] <= merged[A_BITS-1:0];
                    `SPW_SEL_WMEM: wmem[w_idx] <= merged[W_BITS-1:0];
                    default:       imem[i_idx] <= merged[I_BITS-1:0];
                endcase
            end
        end
    end

    always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
            mem_reqs_o <= 32'd0;
            mem_req_busy_o <= 1'b0;
            mem_req_oob_o <= 1'b0;
        end else if (mem_req) begin
            mem_reqs_o <= mem_reqs_o + 32'd1;
            if (busy_i) mem_req_busy_o <= 1'b1;
            if (oob) mem_req_oob_o <= 1'b1;
        end
    end

endmodule

`default_nettype wire
